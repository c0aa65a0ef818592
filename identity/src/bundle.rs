//! Program bundles, as they are agreed on and as they travel: a directory of files whose
//! `__main__.py` runs. The digest commits to every file (`schemas/README.md`, "Program
//! digests"); a shared bundle is one JSON document (`{"files": [{"path", "content"}]}`, content
//! base64url), which the receiver checks path by path and hashes before anything is written.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The file a bundle runs.
pub const ENTRY: &str = "__main__.py";
/// Most files a bundle may hold.
pub const MAX_FILES: usize = 256;
/// Most bytes a bundle that travels may hold, all files together (it goes in one DIDComm message).
pub const MAX_SHARED_BYTES: usize = 2 * 1024 * 1024;

/// One file of a bundle, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    /// Its path relative to the bundle, `/`-separated.
    pub path: String,
    /// SHA-256 of its contents, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

impl BundleFile {
    /// The entry for a file at `path` with `contents`.
    pub fn of(path: &str, contents: &[u8]) -> Self {
        BundleFile { path: path.to_owned(), sha256: crate::hex(&Sha256::digest(contents)), size: contents.len() as u64 }
    }
}

/// The digest of a bundle's files (in digest order: byte order of their paths).
pub fn digest(files: &[BundleFile]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"mpc-id-bundle-v1\n");
    for file in files {
        hasher.update(format!("{} {} {}\n", file.sha256, file.size, file.path).as_bytes());
    }
    crate::hex(&hasher.finalize())
}

/// A bundle as it travels.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedBundle {
    /// Its files.
    pub files: Vec<SharedFile>,
}

/// One file of a shared bundle.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedFile {
    /// Its path relative to the bundle, `/`-separated.
    pub path: String,
    /// Its contents, base64url without padding.
    pub content: String,
}

/// A shared bundle read and checked: its digest and its files with their contents.
#[derive(Clone, Debug)]
pub struct CheckedBundle {
    /// The digest of its files.
    pub digest: String,
    /// Its files in digest order, each with its contents.
    pub files: Vec<(BundleFile, Vec<u8>)>,
}

impl SharedBundle {
    /// A bundle of `files` (path, contents).
    pub fn new(files: Vec<(String, Vec<u8>)>) -> Self {
        SharedBundle {
            files: files
                .into_iter()
                .map(|(path, contents)| SharedFile { path, content: URL_SAFE_NO_PAD.encode(contents) })
                .collect(),
        }
    }

    /// Reads a shared bundle: every path safe to write under a directory of the receiver's
    /// choosing, no path twice, the entry present, within the limits; returns it with its digest.
    pub fn check(&self) -> Result<CheckedBundle> {
        if self.files.len() > MAX_FILES {
            return Err(bad(format!("{} files; a bundle holds at most {MAX_FILES}", self.files.len())));
        }
        let mut files = Vec::with_capacity(self.files.len());
        let mut total = 0usize;
        for file in &self.files {
            check_path(&file.path)?;
            let contents = URL_SAFE_NO_PAD
                .decode(&file.content)
                .map_err(|e| bad(format!("the content of `{}` is not base64url ({e})", file.path)))?;
            total += contents.len();
            if total > MAX_SHARED_BYTES {
                return Err(bad(format!("more than the {MAX_SHARED_BYTES} bytes a shared bundle may hold")));
            }
            files.push((BundleFile::of(&file.path, &contents), contents));
        }
        files.sort_by(|a, b| a.0.path.as_bytes().cmp(b.0.path.as_bytes()));
        if files.windows(2).any(|pair| pair[0].0.path == pair[1].0.path) {
            return Err(bad("a path appears twice".into()));
        }
        if !files.iter().any(|(file, _)| file.path == ENTRY) {
            return Err(bad(format!("no {ENTRY}: a bundle runs its {ENTRY}")));
        }
        let listed: Vec<BundleFile> = files.iter().map(|(file, _)| file.clone()).collect();
        Ok(CheckedBundle { digest: digest(&listed), files })
    }
}

/// A path a receiver may write under its bundle directory: relative, `/`-separated, no `.` or
/// `..` segment, no hidden name (which the digest would skip), printable, not too long.
pub fn check_path(path: &str) -> Result<()> {
    let fine = !path.is_empty()
        && path.len() <= 1024
        && !path.starts_with('/')
        && !path.contains('\\')
        && path.chars().all(|c| !c.is_control())
        && path.split('/').all(|segment| !segment.is_empty() && !segment.starts_with('.') && segment != "__pycache__");
    if fine { Ok(()) } else { Err(bad(format!("`{path}` is not a safe relative path for a bundle file"))) }
}

fn bad(reason: String) -> Error {
    Error::InvalidBundle(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_escape_or_hide_are_refused() {
        for path in
            ["../x.py", "a/../../x", "/etc/passwd", ".hidden", "a/.git/config", "a//b", "", "a\\b", "__pycache__/x"]
        {
            assert!(check_path(path).is_err(), "{path}");
        }
        for path in ["__main__.py", "helper.py", "data/table.csv"] {
            assert!(check_path(path).is_ok(), "{path}");
        }
    }

    #[test]
    fn a_shared_bundle_is_checked_and_hashed_like_one_on_disk() {
        let bundle = SharedBundle::new(vec![
            ("helper.py".into(), b"X = 1\n".to_vec()),
            ("__main__.py".into(), b"import helper\n".to_vec()),
        ]);
        let checked = bundle.check().expect("a bundle");
        let listed = [BundleFile::of("__main__.py", b"import helper\n"), BundleFile::of("helper.py", b"X = 1\n")];
        assert_eq!(checked.digest, digest(&listed));
        let twice =
            SharedBundle::new(vec![("__main__.py".into(), b"1".to_vec()), ("__main__.py".into(), b"2".to_vec())]);
        assert!(twice.check().expect_err("twice").to_string().contains("twice"));
    }
}
