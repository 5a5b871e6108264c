//! The registry of host functions: function id -> (owning state, function).
//!
//! - Ids are process-wide and never reused, so a Luau closure that outlived its registration
//!   (a script kept `local f = add`, the host unregistered `add`, replaced it, or dropped the
//!   state) finds no entry and raises `function 'add' is not registered`: never a
//!   use-after-free.
//! - Each state keeps its own functions in a [`LocalFunctions`] table (no lock, owner thread
//!   only; host functions need not be `Send`): the call path is one hash lookup and a
//!   reference-count increment. A process-wide map id -> state counts the entries
//!   ([`registry_len`]); registration, unregistration and drop take its write lock.
//!   Functions are dropped after the lock and the table's borrow are released.
//! - Each state removes exactly its own entries when it is dropped.

use std::cell::RefCell;
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

/// The process-wide bookkeeping: function id -> owning state (for [`registry_len`] and
/// [`registry_len_for`]). The functions themselves live in their state's [`LocalFunctions`].
type Map = HashMap<u64, u64, BuildHasherDefault<IdHasher>>;

static REGISTRY: LazyLock<RwLock<Map>> = LazyLock::new(|| RwLock::new(Map::default()));
static NEXT_FUNCTION_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_STATE_KEY: AtomicU64 = AtomicU64::new(1);

/// A fresh key for a new state.
pub(crate) fn new_state_key() -> u64 {
    NEXT_STATE_KEY.fetch_add(1, Ordering::Relaxed)
}

/// A state's own table of its functions (id -> function), kept in step with the process-wide
/// map by [`insert`] and [`remove`]: the dispatcher's [`lookup`] reads only this table, on the
/// owner thread, without the lock (the lock and its two atomic operations cost more than the
/// rest of a host call's lookup).
#[derive(Default)]
pub(crate) struct LocalFunctions(RefCell<HashMap<u64, Rc<HostFn>, BuildHasherDefault<IdHasher>>>);

/// Registers `func` for `state` (whose own table is `local`); returns its new id (never 0,
/// never reused).
pub(crate) fn insert(local: &LocalFunctions, state: u64, func: Rc<HostFn>) -> u64 {
    let id = NEXT_FUNCTION_ID.fetch_add(1, Ordering::Relaxed);
    REGISTRY.write().insert(id, state);
    local.0.borrow_mut().insert(id, func);
    id
}

/// The function registered under `id` in the state whose table is `local` (the state whose
/// call is running). Ids of other states are never in it.
pub(crate) fn lookup(local: &LocalFunctions, id: u64) -> Option<Rc<HostFn>> {
    local.0.borrow().get(&id).cloned()
}

/// Removes `state`'s entries among `ids` (from the process-wide map and the state's table
/// `local`); the functions are dropped after the lock and the borrow are released (a
/// closure's destructor may itself register or unregister).
pub(crate) fn remove(local: &LocalFunctions, state: u64, ids: impl IntoIterator<Item = u64>) {
    let mut removed = Vec::new();
    {
        let mut map = REGISTRY.write();
        let mut table = local.0.borrow_mut();
        for id in ids {
            if map.get(&id) == Some(&state) {
                map.remove(&id);
                removed.extend(table.remove(&id));
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
    REGISTRY.read().values().filter(|&&s| s == state).count()
}
