//! The registry of host functions: function id -> (owning state, function).
//!
//! - Ids are process-wide and never reused, so a Luau closure that outlived its registration
//!   (a script kept `local f = add`, the host unregistered `add`, replaced it, or dropped the
//!   state) finds no entry and raises `function 'add' is not registered`: never a
//!   use-after-free.
//! - Each state keeps its own functions in a [`LocalFunctions`] table (no lock, owner thread
//!   only; host functions need not be `Send`), indexed by the id's low bits: the call path is
//!   an index, a comparison and a reference-count increment. Process-wide, only counts are kept ([`registry_len`], and
//!   per state [`registry_len_for`]): registering and unregistering take no lock (a state
//!   takes one the first time it registers and when it is dropped). Functions are dropped
//!   after the table's borrow is released.
//! - Each state removes exactly its own entries when it is dropped.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

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

/// A fast hasher for the host's own names (registration keys, chosen by the host, not by
/// scripts): eight bytes per multiply (SipHash cost ~180 instructions per registration).
#[derive(Default)]
pub(crate) struct NameHasher(u64);

const NAME_K: u64 = 0xf135_7aea_2e62_a9c5;

impl NameHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(NAME_K).rotate_left(23);
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // Fold the well-mixed high bits into the low ones hashbrown indexes with.
        let h = self.0.wrapping_mul(NAME_K);
        h ^ (h >> 32)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

/// name -> id maps keyed by the host's names.
pub(crate) type NameMap<V> = HashMap<Vec<u8>, V, BuildHasherDefault<NameHasher>>;

/// state key -> that state's count, for [`registry_len_for`] and [`registry_len`] (entries
/// are added when a state first registers and removed when it is dropped).
type Counts = HashMap<u64, Arc<AtomicUsize>, BuildHasherDefault<IdHasher>>;
static COUNTS: LazyLock<Mutex<Counts>> = LazyLock::new(|| Mutex::new(HashMap::default()));
/// The sequence part of function ids (process-wide, never reused), handed to states in
/// blocks of [`SEQUENCE_BLOCK`] (one atomic operation per block, not per registration).
static NEXT_SEQUENCE: AtomicU64 = AtomicU64::new(1);
const SEQUENCE_BLOCK: u64 = 1024;
static NEXT_STATE_KEY: AtomicU64 = AtomicU64::new(1);

/// A function id is `sequence << SLOT_BITS | slot`: the sequence makes it unique in the
/// process (never reused, never 0), the slot is its index in its state's table.
const SLOT_BITS: u32 = 24;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
/// Sequences past this would no longer fit beside the slot.
const MAX_SEQUENCE: u64 = u64::MAX >> SLOT_BITS;

/// A fresh key for a new state.
pub(crate) fn new_state_key() -> u64 {
    NEXT_STATE_KEY.fetch_add(1, Ordering::Relaxed)
}

/// One slot of a state's table: the id it holds now (0: free) and its function.
struct Slot {
    id: u64,
    func: Option<Rc<HostFn>>,
}

#[derive(Default)]
struct Table {
    slots: Vec<Slot>,
    /// Free slot indices.
    free: Vec<u32>,
    len: usize,
}

/// A state's own table of its functions (slot -> (id, function)): the dispatcher's
/// [`lookup`] is an index and a comparison, on the owner thread, without any lock.
#[derive(Default)]
pub(crate) struct LocalFunctions {
    table: RefCell<Table>,
    /// This state's count, shared with [`COUNTS`] (written by the owner thread only).
    count: Arc<AtomicUsize>,
    /// The key the count is filed under in [`COUNTS`] (0: not yet).
    filed: Cell<u64>,
    /// This state's block of sequences: the next one and the end (exclusive).
    sequences: Cell<(u64, u64)>,
}

impl LocalFunctions {
    /// The next sequence of this state's block (a new block when it is used up).
    fn next_sequence(&self) -> u64 {
        let (next, end) = self.sequences.get();
        if next < end {
            self.sequences.set((next + 1, end));
            return next;
        }
        let first = NEXT_SEQUENCE.fetch_add(SEQUENCE_BLOCK, Ordering::Relaxed);
        self.sequences.set((first + 1, first + SEQUENCE_BLOCK));
        first
    }

    fn add_count(&self, state: u64, delta: isize) {
        if self.filed.get() == 0 {
            COUNTS.lock().insert(state, Arc::clone(&self.count));
            self.filed.set(state);
        }
        // Only the owner thread writes: a load and a store, no read-modify-write.
        let n = self.count.load(Ordering::Relaxed);
        self.count
            .store(n.wrapping_add_signed(delta), Ordering::Relaxed);
    }
}

impl Drop for LocalFunctions {
    fn drop(&mut self) {
        if self.filed.get() != 0 {
            COUNTS.lock().remove(&self.filed.get());
        }
    }
}

/// Registers `func` for `state` (whose own table is `local`); returns its new id (never 0,
/// never reused), or `None` when the state's table or the id space is full.
pub(crate) fn insert(local: &LocalFunctions, state: u64, func: Rc<HostFn>) -> Option<u64> {
    let sequence = local.next_sequence();
    if sequence > MAX_SEQUENCE {
        return None;
    }
    {
        let mut table = local.table.borrow_mut();
        let slot = match table.free.pop() {
            Some(slot) => slot as usize,
            None if (table.slots.len() as u64) <= SLOT_MASK => {
                table.slots.push(Slot { id: 0, func: None });
                table.slots.len() - 1
            }
            None => return None,
        };
        let id = sequence << SLOT_BITS | slot as u64;
        table.slots[slot] = Slot {
            id,
            func: Some(func),
        };
        table.len += 1;
        drop(table);
        local.add_count(state, 1);
        Some(id)
    }
}

/// The function registered under `id` in the state whose table is `local` (the state whose
/// call is running). Ids of other states, and stale ids, never match.
#[inline]
pub(crate) fn lookup(local: &LocalFunctions, id: u64) -> Option<Rc<HostFn>> {
    let table = local.table.borrow();
    let slot = table.slots.get((id & SLOT_MASK) as usize)?;
    if slot.id != id {
        return None;
    }
    slot.func.clone()
}

/// Takes `id`'s function out of the table (`None` if `id` is not there).
fn take(table: &mut Table, id: u64) -> Option<Rc<HostFn>> {
    let index = (id & SLOT_MASK) as usize;
    let slot = table.slots.get_mut(index)?;
    if slot.id != id || id == 0 {
        return None;
    }
    slot.id = 0;
    let func = slot.func.take();
    table.free.push(index as u32);
    table.len -= 1;
    func
}

/// Removes `state`'s entries among `ids` (from the state's table `local`); the functions are
/// dropped after the borrow is released (a closure's destructor may itself register or
/// unregister).
pub(crate) fn remove(local: &LocalFunctions, state: u64, ids: impl IntoIterator<Item = u64>) {
    let mut removed: Vec<Rc<HostFn>> = Vec::new();
    {
        let mut table = local.table.borrow_mut();
        removed.extend(ids.into_iter().filter_map(|id| take(&mut table, id)));
    }
    if !removed.is_empty() {
        local.add_count(state, -(removed.len() as isize));
    }
    drop(removed);
}

/// Removes one entry: [`remove`] without the Vec.
pub(crate) fn remove_one(local: &LocalFunctions, state: u64, id: u64) {
    let removed = take(&mut local.table.borrow_mut(), id);
    if removed.is_some() {
        local.add_count(state, -1);
    }
    drop(removed);
}

/// The number of registered host functions, over all states in the process.
pub fn registry_len() -> usize {
    COUNTS
        .lock()
        .values()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
}

/// The number of registered host functions owned by the state with `key` (0 once that state
/// is dropped).
pub fn registry_len_for(key: crate::RegistryKey) -> usize {
    len_for(key.0)
}

pub(crate) fn len_for(state: u64) -> usize {
    COUNTS
        .lock()
        .get(&state)
        .map_or(0, |c| c.load(Ordering::Relaxed))
}
