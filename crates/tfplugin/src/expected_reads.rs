//! Which refresh reads are on their way.
//!
//! Terraform refreshes a managed resource in two calls made back to back by the same worker:
//! UpgradeResourceState with the stored state, then ReadResource with the upgraded state. An
//! upgrade therefore announces a read of the same resource (same type, same `id`) a
//! millisecond or so later. A resource that batches its reads can use this to send a batch the
//! moment the last announced read has joined it, instead of guessing with a timer.
//!
//! An announcement is a hint, never a promise: `plan -refresh=false` and apply upgrade without
//! reading, and a read can fail before it joins anything. So an announcement lapses after
//! [`LIFETIME`]; whoever waits on announcements must bound the wait by that much anyway.

use crate::value::Value;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// How long an upgrade's announcement stands. Terraform reads within a few milliseconds of the
/// upgrade; an announcement older than this belongs to a call that upgraded without reading.
pub const LIFETIME: Duration = Duration::from_millis(20);

/// Announced reads by (resource type, id), with when they were announced.
static ANNOUNCED: LazyLock<Mutex<HashMap<(String, String), Instant>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The resource's `id` attribute, when its state has a known, non-empty one.
fn id_of(state: &Value) -> Option<String> {
    state
        .get("id")
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn with_announced<R>(f: impl FnOnce(&mut HashMap<(String, String), Instant>) -> R) -> R {
    // A panic elsewhere while holding the lock leaves the map usable: it only holds hints.
    let mut map = ANNOUNCED.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    map.retain(|_, at| now.duration_since(*at) < LIFETIME);
    f(&mut map)
}

/// UpgradeResourceState of `state` answered: a read of it is probably next.
pub(crate) fn announce(type_name: &str, state: &Value) {
    if let Some(id) = id_of(state) {
        with_announced(|m| m.insert((type_name.to_string(), id), Instant::now()));
    }
}

/// ReadResource of `state` arrived: whether an upgrade had announced it (and it no longer counts
/// as on its way).
pub(crate) fn arrived(type_name: &str, state: &Value) -> bool {
    match id_of(state) {
        Some(id) => with_announced(|m| m.remove(&(type_name.to_string(), id)).is_some()),
        None => false,
    }
}

/// How many announced reads have not arrived yet (any resource type).
pub fn outstanding() -> usize {
    with_announced(|m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn state(id: &str) -> Value {
        Value::Map(BTreeMap::from([(
            "id".to_string(),
            Value::String(id.to_string()),
        )]))
    }

    // One test: the registry is process-wide, and parallel tests would see each other's ids.
    #[test]
    fn an_upgrade_announces_its_read_until_it_arrives_or_lapses() {
        let before = outstanding();
        announce("test_thing", &state("a"));
        announce("test_thing", &state("b"));
        // No id, no announcement: nothing to match the read with.
        announce("test_thing", &state(""));
        announce("test_thing", &Value::Null);
        assert_eq!(outstanding(), before + 2);
        assert!(arrived("test_thing", &state("a")));
        assert!(!arrived("test_thing", &state("a")), "a read is taken once");
        assert!(
            !arrived("other_thing", &state("b")),
            "the type is part of the match"
        );
        assert_eq!(outstanding(), before + 1);
        std::thread::sleep(LIFETIME + Duration::from_millis(5));
        assert!(!arrived("test_thing", &state("b")), "announcements lapse");
    }
}
