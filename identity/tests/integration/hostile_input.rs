//! Arbitrary and mutated input: every parser returns an error instead of panicking, and no
//! alteration of a signed invitation verifies.

use std::sync::LazyLock;
use std::time::Duration;

use mpc_identity::did::{self, MediatorEndpoint};
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::keys::PublicKey;
use mpc_identity::keystore::{DidMethod, Keystore};
use mpc_identity::unix_now;
use proptest::prelude::*;

/// A valid invitation as JSON and as a URL, made once.
static VALID: LazyLock<(String, String)> = LazyLock::new(|| {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("keystore");
    let mediator = MediatorEndpoint::from_url("https://mediator.example.org").expect("url");
    let alice = store.create("alice", DidMethod::Peer, Some(mediator), "pw").expect("create");
    let invitation = Invitation::new(&alice.record, None, None, Duration::from_secs(86_400), unix_now());
    let signed = invitation.sign(&alice.keys, &alice.record.signing_kid()).expect("sign");
    (signed.to_json(), signed.to_url(alice.record.mediator.as_ref()))
});

fn verify(text: &str) -> bool {
    SignedInvitation::parse(text).and_then(|s| s.verify(unix_now())).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_the_parsers(text in "\\PC{0,300}") {
        let _ = did::resolve(&text);
        let _ = did::resolve(&format!("did:peer:2.{text}"));
        let _ = did::resolve(&format!("did:key:z{text}"));
        let _ = PublicKey::from_multikey(&text);
        let _ = MediatorEndpoint::from_url(&text);
        prop_assert!(!verify(&text));
        let as_url = format!("https://m.example/oob?_oob={text}");
        prop_assert!(!verify(&as_url));
    }

    #[test]
    fn no_single_character_change_to_a_signed_invitation_verifies(
        position in any::<prop::sample::Index>(),
        replacement in proptest::char::range('!', '~'),
        url_form in any::<bool>(),
    ) {
        let (json, url) = &*VALID;
        let original = if url_form { url } else { json };
        prop_assert!(verify(original), "the unaltered invitation verifies");
        // In the URL form only the `_oob` value is the invitation; the address around it is not
        // signed and may differ (any host can carry an invitation).
        let signed_from = if url_form { original.find("_oob=").expect("_oob") + 5 } else { 0 };
        let mut chars: Vec<char> = original.chars().collect();
        let at = signed_from + position.index(chars.len() - signed_from);
        prop_assume!(chars[at] != replacement);
        chars[at] = replacement;
        let altered: String = chars.into_iter().collect();
        prop_assert!(!verify(&altered), "altered at {at}: {altered}");
    }

    #[test]
    fn truncation_never_verifies(cut in 0usize..2000) {
        let (json, url) = &*VALID;
        for original in [json, url] {
            let cut = cut % original.len();
            prop_assert!(!verify(&original[..cut]));
        }
    }
}
