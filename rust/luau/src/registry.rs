//! The process-wide registry of host functions: function id -> (owning state, function).
//!
//! - Ids are never reused, so a Luau closure that outlived its registration (a script kept
//!   `local f = add`, the host unregistered `add`, replaced it, or dropped the state) finds no
//!   entry and raises `function 'add' is not registered`: never a use-after-free.
//! - The call path takes the read lock only, for one hash lookup and a reference-count
//!   increment; registration, unregistration and drop take the write lock. Functions are
//!   dropped after the lock is released.
//! - Each state removes exactly its own entries when it is dropped.
#![allow(unsafe_code)] // one `unsafe impl`, justified on OwnerThreadOnly

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

use parking_lot::RwLock;

use crate::function::HostFn;

/// Function ids are sequential integers: hashing them with SipHash would cost more than the
/// rest of the lookup. A multiplicative hash spreads them well enough (no untrusted keys).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Map = HashMap<u64, Entry, BuildHasherDefault<IdHasher>>;

static REGISTRY: LazyLock<RwLock<Map>> = LazyLock::new(|| RwLock::new(Map::default()));
static NEXT_FUNCTION_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_STATE_KEY: AtomicU64 = AtomicU64::new(1);

struct Entry {
    state: u64,
    func: OwnerThreadOnly,
}

/// A host function, touched only by the thread that owns its state.
///
/// Host functions need not be `Send` or `Sync` (a [`crate::State`] is neither, so its
/// functions run on the thread that owns it), yet they live in this process-wide map.
///
/// SAFETY argument for the `unsafe impl`s below. The `Rc` inside (its count and the closure)
/// is only ever read, cloned or dropped by the thread that owns the state `Entry::state`:
/// - [`insert`] is called by `State::register_func`, on the owner thread (State is !Send, and
///   a call context is !Send);
/// - [`lookup`] clones it only after checking `entry.state == state`, and is called by the
///   dispatcher with the key of the state whose call is running, on that state's thread;
/// - [`remove`] is called by `unregister_func`, registration (replacement) and `State`'s
///   `Drop`, all on the owner thread, with the owner's key; the removed `Rc`s are dropped there.
///
/// Other threads only move entries inside the map (rehashing under the write lock), which
/// copies the pointer but never touches the count or the closure.
struct OwnerThreadOnly(Rc<HostFn>);

// SAFETY: see OwnerThreadOnly: only the owner thread dereferences, clones or drops the Rc.
unsafe impl Send for OwnerThreadOnly {}
// SAFETY: see OwnerThreadOnly: shared access from other threads never reaches the Rc.
unsafe impl Sync for OwnerThreadOnly {}

/// A fresh key for a new state.
pub(crate) fn new_state_key() -> u64 {
    NEXT_STATE_KEY.fetch_add(1, Ordering::Relaxed)
}

/// Registers `func` for `state`; returns its new id (never 0, never reused).
pub(crate) fn insert(state: u64, func: Rc<HostFn>) -> u64 {
    let id = NEXT_FUNCTION_ID.fetch_add(1, Ordering::Relaxed);
    let entry = Entry {
        state,
        func: OwnerThreadOnly(func),
    };
    REGISTRY.write().insert(id, entry);
    id
}

/// The function registered under `id` for `state` (the state whose call is running).
pub(crate) fn lookup(state: u64, id: u64) -> Option<Rc<HostFn>> {
    let map = REGISTRY.read();
    match map.get(&id) {
        Some(entry) if entry.state == state => Some(Rc::clone(&entry.func.0)),
        _ => None,
    }
}

/// Removes `state`'s entries among `ids`; the functions are dropped after the lock is
/// released (a closure's destructor may itself register or unregister).
pub(crate) fn remove(state: u64, ids: impl IntoIterator<Item = u64>) {
    let mut removed = Vec::new();
    {
        let mut map = REGISTRY.write();
        for id in ids {
            if map.get(&id).is_some_and(|e| e.state == state) {
                removed.extend(map.remove(&id));
            }
        }
    }
    drop(removed);
}

/// The number of registered host functions, over all states in the process.
pub fn registry_len() -> usize {
    REGISTRY.read().len()
}

/// The number of registered host functions owned by the state with `key` (0 once that state
/// is dropped).
pub fn registry_len_for(key: crate::RegistryKey) -> usize {
    len_for(key.0)
}

pub(crate) fn len_for(state: u64) -> usize {
    REGISTRY
        .read()
        .values()
        .filter(|e| e.state == state)
        .count()
}
