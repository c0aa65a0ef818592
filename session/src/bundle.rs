//! Program bundles: a session's program may be a directory, whose `__main__.py` is what runs
//! (as `python3 DIR` runs it) and whose other files are its modules and data. One digest commits
//! to every file, so two parties cannot run different helper modules unnoticed; the manifest also
//! lists each file, so a party whose copy differs is told which file.
//!
//! The digest (`schemas/README.md`, "Program digests"): the SHA-256 of
//! `mpc-id-bundle-v1\n` followed by one line per file, `<sha256 hex> <size> <path>\n`, files in
//! byte order of their `/`-separated path relative to the directory. Every regular file counts,
//! except hidden ones (a name starting with `.`) and `__pycache__` directories, which Python
//! writes itself. Symbolic links are refused (they could point anywhere), and so is a bundle of
//! more than [`MAX_FILES`] files or [`MAX_BYTES`] bytes. A program that is one file keeps its
//! digest: the SHA-256 of the file.

use std::path::{Path, PathBuf};

use mpc_identity::bundle::{CheckedBundle, SharedBundle};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use mpc_identity::hex;

pub use mpc_identity::bundle::{BundleFile, ENTRY, MAX_FILES, digest};

/// Most bytes a bundle may hold, all files together.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The digest of the program at `path` (a file or a bundle directory), and for a bundle its
/// files.
pub(crate) fn program_digest(path: &Path) -> Result<(String, Option<Vec<BundleFile>>)> {
    let metadata = std::fs::metadata(path).map_err(|e| Error::io("reading program", path, e))?;
    if !metadata.is_dir() {
        let bytes = std::fs::read(path).map_err(|e| Error::io("reading program", path, e))?;
        return Ok((hex(&Sha256::digest(bytes)), None));
    }
    let files = files(path)?;
    Ok((digest(&files), Some(files)))
}

/// The files of the bundle at `dir`, in digest order, each hashed.
pub fn files(dir: &Path) -> Result<Vec<BundleFile>> {
    let mut found = Vec::new();
    let mut total = 0u64;
    walk(dir, dir, &mut found, &mut total)?;
    found.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    if !found.iter().any(|f| f.path == ENTRY) {
        return Err(Error::Command(format!(
            "program bundle {} has no {ENTRY}: a bundle runs its {ENTRY}, as `python3 DIR` does",
            dir.display()
        )));
    }
    Ok(found)
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<BundleFile>, total: &mut u64) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("reading program bundle", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("reading program bundle", dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_str().ok_or_else(|| bad(root, format!("{} is not a UTF-8 name", path.display())))?;
        if name.starts_with('.') || name == "__pycache__" {
            continue;
        }
        let kind = entry.file_type().map_err(|e| Error::io("reading program bundle", &path, e))?;
        if kind.is_symlink() {
            return Err(bad(root, format!("{} is a symbolic link; bundles hold plain files only", path.display())));
        }
        if kind.is_dir() {
            walk(root, &path, found, total)?;
            continue;
        }
        // The limits hold before a file is read: a huge file is refused, not read.
        let size = entry.metadata().map_err(|e| Error::io("reading program bundle", &path, e))?.len();
        *total += size;
        if found.len() >= MAX_FILES || *total > MAX_BYTES {
            return Err(bad(root, format!("more than {MAX_FILES} files or {} MiB", MAX_BYTES >> 20)));
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io("reading program bundle", &path, e))?;
        found.push(BundleFile {
            path: relative(root, &path)?,
            sha256: hex(&Sha256::digest(&bytes)),
            size: bytes.len() as u64,
        });
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> Result<String> {
    let relative: PathBuf = path.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf());
    let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|p| p.join("/")).ok_or_else(|| bad(root, format!("{} is not a UTF-8 path", relative.display())))
}

/// The bundle at `dir`, read for sharing (within what a shared bundle may hold).
pub(crate) fn read_for_sharing(dir: &Path) -> Result<SharedBundle> {
    let listed = files(dir)?;
    let mut contents = Vec::with_capacity(listed.len());
    for file in &listed {
        let path = dir.join(&file.path);
        contents.push((
            file.path.clone(),
            std::fs::read(&path).map_err(|e| Error::io("reading program bundle", &path, e))?,
        ));
    }
    let bundle = SharedBundle::new(contents);
    bundle.check()?;
    Ok(bundle)
}

/// Where a joiner's copy of a session's shared program goes when the joiner names no place:
/// `<home>/programs/<session id>/`. The id is checked to be 32 hex digits before any session is
/// stored, so nothing the host writes (its session name least of all) picks the place.
pub(crate) fn default_dir(home: &Path, session: &str) -> Result<PathBuf> {
    if session.len() != 32 || !session.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Command(format!("`{}` is not a session id", mpc_identity::text::shown(session))));
    }
    Ok(home.join("programs").join(session))
}

/// Writes a checked bundle into `dir`, which is created here and must not exist yet: nothing of
/// the user's is overwritten and no existing directory is reused, whatever it is called. Every
/// directory under it is created fresh and every file is created new (`O_EXCL`, which never
/// follows a symbolic link), so the bundle's files land under `dir` and nowhere else.
pub fn write(bundle: &CheckedBundle, dir: &Path) -> Result<()> {
    use std::io::Write;
    match std::fs::symlink_metadata(dir) {
        Ok(_) => {
            return Err(Error::Command(format!(
                "{} already exists: a shared program is saved only into a new directory \
                 (give one that does not exist with --program-dir DIR)",
                dir.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("checking", dir, e)),
    }
    std::fs::create_dir(dir).map_err(|e| Error::io("creating", dir, e))?;
    for (file, contents) in &bundle.files {
        // Checked again here, not only when the bundle was: this is where a path would escape.
        mpc_identity::bundle::check_path(&file.path)?;
        let mut path = dir.to_path_buf();
        let mut segments = file.path.split('/').peekable();
        while let Some(segment) = segments.next() {
            path.push(segment);
            if segments.peek().is_some() {
                match std::fs::create_dir(&path) {
                    Ok(()) => {}
                    // A directory this loop made for an earlier file (not a link: lstat says).
                    Err(e)
                        if e.kind() == std::io::ErrorKind::AlreadyExists
                            && std::fs::symlink_metadata(&path).map(|m| m.is_dir()).unwrap_or(false) => {}
                    Err(e) => return Err(Error::io("creating", &path, e)),
                }
            }
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("writing", &path, e))?;
        out.write_all(contents).map_err(|e| Error::io("writing", &path, e))?;
    }
    Ok(())
}

/// What differs between the files agreed on and those found, one line each.
pub(crate) fn differences(agreed: &[BundleFile], found: &[BundleFile]) -> Vec<String> {
    let mut out = Vec::new();
    for file in agreed {
        match found.iter().find(|f| f.path == file.path) {
            None => out.push(format!("{} is missing", file.path)),
            Some(f) if f.sha256 != file.sha256 => out.push(format!("{} differs", file.path)),
            Some(_) => {}
        }
    }
    for file in found.iter().filter(|f| !agreed.iter().any(|a| a.path == f.path)) {
        out.push(format!("{} was not agreed on", file.path));
    }
    out
}

fn bad(root: &Path, reason: String) -> Error {
    Error::Command(format!("program bundle {}: {reason}", root.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn the_digest_covers_every_file_and_only_those() {
        let dir = tempfile::tempdir().expect("dir");
        write(dir.path(), "__main__.py", "import helper\n");
        write(dir.path(), "helper.py", "X = 1\n");
        write(dir.path(), "data/table.csv", "1,2\n");
        let (first, files) = program_digest(dir.path()).expect("bundle");
        let paths: Vec<&str> = files.as_deref().expect("files").iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["__main__.py", "data/table.csv", "helper.py"]);
        // What Python writes itself, and hidden files, do not count.
        write(dir.path(), "__pycache__/helper.cpython-311.pyc", "bytecode");
        write(dir.path(), ".editor-swap", "x");
        assert_eq!(program_digest(dir.path()).expect("bundle").0, first);
        // Any change to any file does.
        write(dir.path(), "data/table.csv", "1,3\n");
        let (changed, found) = program_digest(dir.path()).expect("bundle");
        assert_ne!(changed, first);
        assert_eq!(
            differences(files.as_deref().expect("files"), found.as_deref().expect("files")),
            ["data/table.csv differs"]
        );
        // A file's digest is still its SHA-256.
        let (single, none) = program_digest(&dir.path().join("helper.py")).expect("file");
        assert_eq!(single, hex(&Sha256::digest(b"X = 1\n")));
        assert!(none.is_none());
    }

    #[test]
    fn a_bundle_without_its_entry_or_with_links_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        write(dir.path(), "helper.py", "X = 1\n");
        let error = program_digest(dir.path()).expect_err("no entry").to_string();
        assert!(error.contains("__main__.py"), "{error}");
        write(dir.path(), "__main__.py", "import helper\n");
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd")).expect("link");
        let error = program_digest(dir.path()).expect_err("a link").to_string();
        assert!(error.contains("symbolic link"), "{error}");
    }
}
