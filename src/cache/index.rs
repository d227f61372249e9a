//! The exchanged-token cache's index: a bounded map from [`ExchangeKey`]s to
//! entries that is read without a lock and evicts by CLOCK (second chance),
//! an approximation of least recently used.
//!
//! Reads. A key picks a bucket of the table (a power of two of them); each
//! bucket is an `ArcSwapOption` of an immutable chain of links, each link an
//! entry and a value published with it (the exchanged-token cache publishes
//! the entry's current token there, so that a hit loads one pointer, not
//! two). A lookup loads its bucket (no lock, no reference count on a shared
//! line: see arc_swap), walks the chain and marks the entry it finds as
//! referenced (a relaxed load, and a store only when the bit was clear).
//! Writers never change a chain in place: they store a new one (sharing the
//! links after the one changed, copying those before it), so that a
//! reader's chain stays whole for as long as it holds it.
//!
//! Writes. Adding and removing take the writers' mutex. The writers keep
//! every entry in a ring, and a hand: adding to a full index moves the hand
//! over the ring, clearing referenced bits, and evicts the first entry it
//! finds unreferenced; the new entry takes that place, just behind the hand,
//! so that it is the last the hand reaches. The hand moves at most two turns
//! (readers may set bits again behind it), then evicts where it stands.
//!
//! Table. The table starts with 16 buckets and doubles whenever the entries
//! outnumber its buckets, so that chains stay about one link long. A reader
//! may still be walking the table that a larger one replaced: replaced
//! tables are emptied (their entries are in the new one; a reader finding
//! nothing takes the locked path) and freed with the index, their buckets
//! adding up to less than the current table's.
//!
//! Fork. The buckets need no lock: they carry over into a forked child as
//! the cached tokens do. The writers' state is fork-local: a child rebuilds
//! its ring from the buckets at its first write, under the child's writers'
//! lock (a writer of the parent stopped by the fork leaves each bucket
//! whole, and the rebuild takes what the buckets hold, evicting any entry
//! beyond the bound). Only that lock's holder gives nodes their places in
//! the ring: the child's threads may each make a writers' state at once,
//! and all but one of those are dropped unused.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwapOption;

use super::exchange_key::ExchangeKey;
use crate::fork::{lock, ForkLocal};

/// Buckets of a new table.
const FIRST_BUCKETS: usize = 16;

/// One entry: its key, its value and its CLOCK bookkeeping. Derefs to the value.
#[derive(Debug)]
pub(crate) struct Node<V> {
    key: ExchangeKey,
    value: V,
    /// Set by lookups, cleared by the hand.
    referenced: AtomicBool,
    /// Its place in the writers' ring (read and written under their lock only).
    slot: AtomicUsize,
}

impl<V> Node<V> {
    /// A node that is in no index (the value of a call that bypasses the cache).
    pub(crate) fn unindexed(value: V) -> Self {
        Node::new(ExchangeKey::default(), value)
    }

    fn new(key: ExchangeKey, value: V) -> Self {
        Node {
            key,
            value,
            referenced: AtomicBool::new(false),
            slot: AtomicUsize::new(0),
        }
    }

    /// Marks the node as used: written only when the bit was clear, so that
    /// readers of a hot entry do not fight over its cache line.
    #[inline]
    fn touch(&self) {
        if !self.referenced.load(Ordering::Relaxed) {
            self.referenced.store(true, Ordering::Relaxed);
        }
    }

    fn slot(&self) -> usize {
        self.slot.load(Ordering::Relaxed)
    }

    fn set_slot(&self, slot: usize) {
        self.slot.store(slot, Ordering::Relaxed);
    }
}

impl<V> Deref for Node<V> {
    type Target = V;

    fn deref(&self) -> &V {
        &self.value
    }
}

/// A link of a bucket's chain; never changed once in a bucket.
struct Link<V, P> {
    node: Arc<Node<V>>,
    /// The node's key, beside the pointer that a lookup follows next.
    key: ExchangeKey,
    /// The value published with the node (see [`Index::publish`]), in the
    /// link: a hit reads it without following one more pointer.
    published: Option<P>,
    next: Option<Arc<Link<V, P>>>,
}

impl<V, P> Drop for Link<V, P> {
    /// Drops the rest of the chain in a loop, not by recursion.
    fn drop(&mut self) {
        let mut next = self.next.take();
        while let Some(link) = next {
            next = match Arc::try_unwrap(link) {
                Ok(mut link) => link.next.take(),
                Err(_) => None,
            };
        }
    }
}

/// A node and the value published with it.
type Linked<V, P> = (Arc<Node<V>>, Option<P>);

/// The buckets; their number is a power of two.
struct Table<V, P> {
    buckets: Box<[ArcSwapOption<Link<V, P>>]>,
}

impl<V, P: Clone> Table<V, P> {
    fn new(buckets: usize) -> Box<Self> {
        Box::new(Table {
            buckets: (0..buckets).map(|_| ArcSwapOption::empty()).collect(),
        })
    }

    #[inline]
    fn bucket(&self, key: ExchangeKey) -> &ArcSwapOption<Link<V, P>> {
        let mask = self.buckets.len() - 1;
        &self.buckets[key.bits() as usize & mask]
    }

    /// `with` applied to the node of `key` and its published value, if the
    /// table holds that node (marked as used). No lock, no allocation.
    #[inline]
    fn find_with<R>(
        &self,
        key: ExchangeKey,
        with: impl FnOnce(&Arc<Node<V>>, Option<&P>) -> R,
    ) -> Option<R> {
        let chain = self.bucket(key).load();
        let mut link = chain.as_deref();
        while let Some(current) = link {
            if current.key == key {
                current.node.touch();
                return Some(with(&current.node, current.published.as_ref()));
            }
            link = current.next.as_deref();
        }
        None
    }

    /// The node of `key`, if the table holds one (marked as used).
    fn find(&self, key: ExchangeKey) -> Option<Arc<Node<V>>> {
        self.find_with(key, |node, _| node.clone())
    }

    /// Adds `node` in front of its chain (under the writers' lock).
    fn push(&self, node: Arc<Node<V>>, published: Option<P>) {
        let bucket = self.bucket(node.key);
        let next = bucket.load_full();
        bucket.store(Some(Arc::new(Link {
            key: node.key,
            node,
            published,
            next,
        })));
    }

    /// Replaces the link of `node` in its chain by what `change` makes of its
    /// published value: `None` keeps the chain, `Some(None)` drops the link,
    /// `Some(Some(published))` a link with that value (under the writers' lock).
    fn rewrite(
        &self,
        node: &Arc<Node<V>>,
        change: impl FnOnce(Option<&P>) -> Option<Option<Option<P>>>,
    ) {
        let bucket = self.bucket(node.key);
        let chain = bucket.load_full();
        let mut before = Vec::new();
        let mut link = chain.as_ref();
        while let Some(current) = link {
            if Arc::ptr_eq(&current.node, node) {
                let rest = match change(current.published.as_ref()) {
                    None => return,
                    Some(None) => current.next.clone(),
                    Some(Some(published)) => Some(Arc::new(Link {
                        key: node.key,
                        node: node.clone(),
                        published,
                        next: current.next.clone(),
                    })),
                };
                // The links before it, copied in front of the rest.
                let chain = before
                    .into_iter()
                    .rev()
                    .fold(rest, |next, earlier: &Link<V, P>| {
                        Some(Arc::new(Link {
                            key: earlier.key,
                            node: earlier.node.clone(),
                            published: earlier.published.clone(),
                            next,
                        }))
                    });
                bucket.store(chain);
                return;
            }
            before.push(&**current);
            link = current.next.as_ref();
        }
    }

    /// Unlinks `node` from its chain (under the writers' lock).
    fn unlink(&self, node: &Arc<Node<V>>) {
        self.rewrite(node, |_| Some(None));
    }

    /// Every node of the table, with its published value.
    fn links(&self) -> Vec<Linked<V, P>> {
        let mut links = Vec::new();
        for bucket in self.buckets.iter() {
            let chain = bucket.load();
            let mut link = chain.as_deref();
            while let Some(current) = link {
                links.push((current.node.clone(), current.published.clone()));
                link = current.next.as_deref();
            }
        }
        links
    }
}

/// What only writers touch, under their mutex.
struct Writers<V, P> {
    /// Every entry, in the order the hand visits them.
    ring: Vec<Arc<Node<V>>>,
    hand: usize,
    /// Tables that a larger one replaced (emptied): a reader may still hold
    /// one, by its address, so each stays in its box.
    #[allow(clippy::vec_box)]
    replaced: Vec<Box<Table<V, P>>>,
    /// The ring is still to be built from the buckets (see [`Index::lock`]).
    unbuilt: bool,
}

/// A bounded map of `ExchangeKey` to `V`, each entry with a value `P`
/// published beside it, read without a lock. Thread-safe.
pub(crate) struct Index<V, P> {
    /// The current table; null until the first entry. Freed with the index.
    table: AtomicPtr<Table<V, P>>,
    writers: ForkLocal<Mutex<Writers<V, P>>>,
    /// The bound (kept outside the writers' state, which a child rebuilds).
    capacity: AtomicUsize,
}

impl<V, P: Clone> std::fmt::Debug for Index<V, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl<V, P> Drop for Index<V, P> {
    fn drop(&mut self) {
        let table = *self.table.get_mut();
        if !table.is_null() {
            // SAFETY: the table was leaked from a Box by `table_for_writers`
            // and nothing can read it any more.
            drop(unsafe { Box::from_raw(table) });
        }
    }
}

impl<V, P: Clone> Index<V, P> {
    /// An empty index of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Index {
            table: AtomicPtr::new(std::ptr::null_mut()),
            writers: ForkLocal::new(),
            capacity: AtomicUsize::new(capacity.max(1)),
        }
    }

    /// The bound.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    /// The current table, if there is one.
    #[inline]
    fn table(&self) -> Option<&Table<V, P>> {
        // SAFETY: a published table is freed only when the index drops
        // (replaced tables are kept until then), and it was fully built
        // before its pointer was stored (release, paired with this acquire).
        unsafe { self.table.load(Ordering::Acquire).as_ref() }
    }

    /// `with` applied to the node of `key` and its published value, if the
    /// index holds that node (marked as used). No lock, no allocation; both
    /// are borrowed for `with`.
    #[inline]
    pub(crate) fn find_with<R>(
        &self,
        key: ExchangeKey,
        with: impl FnOnce(&Node<V>, Option<&P>) -> R,
    ) -> Option<R> {
        self.table()?
            .find_with(key, |node, published| with(node, published))
    }

    /// This process's writers' state (see the module doc on fork), to lock
    /// with [`Index::lock`]. Its ring is built at the first lock, not here:
    /// threads of a forked child may each build a state at once, and only
    /// one of them is kept, so building one must change no node.
    fn writers(&self) -> Arc<Mutex<Writers<V, P>>> {
        self.writers.get(|_inherited| {
            Mutex::new(Writers {
                ring: Vec::new(),
                hand: 0,
                replaced: Vec::new(),
                unbuilt: true,
            })
        })
    }

    /// Locks `writers`; at the first lock in this process, builds the ring
    /// from what the buckets hold (empty in a new index) and gives each node
    /// its place in it.
    fn lock<'w>(&self, writers: &'w Mutex<Writers<V, P>>) -> MutexGuard<'w, Writers<V, P>> {
        let mut locked = lock(writers);
        if locked.unbuilt {
            let links = self.table().map(Table::links).unwrap_or_default();
            locked.ring = links.into_iter().map(|(node, _)| node).collect();
            for (slot, node) in locked.ring.iter().enumerate() {
                node.set_slot(slot);
            }
            locked.unbuilt = false;
        }
        locked
    }

    /// The current table for a writer (holding the writers' lock), made on
    /// first use.
    fn table_for_writers(&self, _writers: &Writers<V, P>) -> &Table<V, P> {
        if let Some(table) = self.table() {
            return table;
        }
        let table = Box::into_raw(Table::new(FIRST_BUCKETS));
        self.table.store(table, Ordering::Release);
        // SAFETY: just published; freed only when the index drops.
        unsafe { &*table }
    }

    /// The node of `key`, added with the value `make` gives when absent;
    /// with the nodes that the addition evicted (one at most, but in a
    /// forked child whose parent was stopped in the middle of an addition).
    pub(crate) fn get_or_insert(
        &self,
        key: ExchangeKey,
        make: impl FnOnce() -> V,
    ) -> (Arc<Node<V>>, Vec<Arc<Node<V>>>) {
        let writers = self.writers();
        let mut writers = self.lock(&writers);
        let table = self.table_for_writers(&writers);
        if let Some(node) = table.find(key) {
            return (node, Vec::new());
        }
        let capacity = self.capacity();
        let mut evicted = Vec::new();
        while writers.ring.len() > capacity {
            if let Some(node) = self.evict(&mut writers) {
                self.remove(&mut writers, &node);
                evicted.push(node);
            }
        }
        let node = Arc::new(Node::new(key, make()));
        match (writers.ring.len() == capacity)
            .then(|| self.evict(&mut writers))
            .flatten()
        {
            Some(victim) => {
                // The new node takes the victim's place, just behind the hand.
                table.unlink(&victim);
                let slot = victim.slot();
                node.set_slot(slot);
                writers.ring[slot] = node.clone();
                writers.hand = (slot + 1) % writers.ring.len();
                evicted.push(victim);
            }
            None => {
                node.set_slot(writers.ring.len());
                writers.ring.push(node.clone());
            }
        }
        table.push(node.clone(), None);
        let entries = writers.ring.len();
        if entries > table.buckets.len() {
            self.grow(&mut writers, entries.next_power_of_two());
        }
        (node, evicted)
    }

    /// Moves the hand to the first node it finds unreferenced (clearing the
    /// bits it passes, at most two turns) and returns that node, still in
    /// the ring and the table; `None` for an empty ring.
    fn evict(&self, writers: &mut Writers<V, P>) -> Option<Arc<Node<V>>> {
        let length = writers.ring.len();
        if length == 0 {
            return None;
        }
        let mut hand = writers.hand % length;
        for _ in 0..2 * length {
            if !writers.ring[hand].referenced.swap(false, Ordering::Relaxed) {
                break;
            }
            hand = (hand + 1) % length;
        }
        writers.hand = hand;
        Some(writers.ring[hand].clone())
    }

    /// Replaces the table by one of `buckets` buckets holding every node,
    /// then empties the old one (kept until the index drops: a reader may
    /// hold it).
    fn grow(&self, writers: &mut Writers<V, P>, buckets: usize) {
        let table = Table::new(buckets);
        if let Some(old) = self.table() {
            for (node, published) in old.links() {
                table.push(node, published);
            }
        }
        let old = self.table.swap(Box::into_raw(table), Ordering::AcqRel);
        // SAFETY: `old` was published by this index and is never freed while
        // it lives; from here it is owned by `replaced` (not by the pointer).
        let old = unsafe { Box::from_raw(old) };
        for bucket in old.buckets.iter() {
            bucket.store(None);
        }
        writers.replaced.push(old);
    }

    /// Removes the node of `key` if `remove` says so of it; returns it.
    pub(crate) fn remove_if(
        &self,
        key: ExchangeKey,
        remove: impl FnOnce(&Node<V>) -> bool,
    ) -> Option<Arc<Node<V>>> {
        let writers = self.writers();
        let mut writers = self.lock(&writers);
        let node = self.table()?.find(key)?;
        if !remove(&node) {
            return None;
        }
        self.remove(&mut writers, &node);
        Some(node)
    }

    /// Publishes a value with `node`, if it is still in the index: `change`
    /// gets the value published now and returns the one to publish instead
    /// (`Some(None)`: none), or `None` to keep it.
    pub(crate) fn publish(
        &self,
        node: &Arc<Node<V>>,
        change: impl FnOnce(Option<&P>) -> Option<Option<P>>,
    ) {
        let writers = self.writers();
        let _writers = self.lock(&writers);
        if let Some(table) = self.table() {
            table.rewrite(node, |published| change(published).map(Some));
        }
    }

    /// Keeps the nodes for which `keep` (given each with its published
    /// value) is true; returns the others.
    pub(crate) fn retain(
        &self,
        mut keep: impl FnMut(&Node<V>, Option<&P>) -> bool,
    ) -> Vec<Arc<Node<V>>> {
        let writers = self.writers();
        let mut writers = self.lock(&writers);
        let links = self.table().map(Table::links).unwrap_or_default();
        let doomed: Vec<Arc<Node<V>>> = links
            .into_iter()
            .filter(|(node, published)| !keep(node, published.as_ref()))
            .map(|(node, _)| node)
            .collect();
        for node in &doomed {
            self.remove(&mut writers, node);
        }
        doomed
    }

    /// Takes `node` (present) out of the table and the ring.
    fn remove(&self, writers: &mut Writers<V, P>, node: &Arc<Node<V>>) {
        if let Some(table) = self.table() {
            table.unlink(node);
        }
        let slot = node.slot();
        writers.ring.swap_remove(slot);
        if let Some(moved) = writers.ring.get(slot) {
            moved.set_slot(slot);
        }
        if writers.hand >= writers.ring.len() {
            writers.hand = 0;
        }
    }

    /// Raises the bound to `capacity` if that is larger.
    pub(crate) fn raise_capacity(&self, capacity: usize) {
        self.capacity.fetch_max(capacity, Ordering::Relaxed);
    }

    /// The number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock(&self.writers()).ring.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::exchange_key::KeyHasher;

    fn keys(count: usize) -> Vec<ExchangeKey> {
        let hasher = KeyHasher::random().unwrap();
        (0..count)
            .map(|n| hasher.key(b'T', &[Some(&n.to_le_bytes())]))
            .collect()
    }

    type Values = Index<usize, &'static str>;

    fn index(capacity: usize) -> Values {
        Index::new(capacity)
    }

    fn values(nodes: Vec<Arc<Node<usize>>>) -> Vec<usize> {
        nodes.iter().map(|node| node.value).collect()
    }

    fn find(index: &Values, key: ExchangeKey) -> Option<usize> {
        index.find_with(key, |node, _| **node)
    }

    /// The values in the ring, from the hand on.
    fn order(index: &Values) -> Vec<usize> {
        let writers = index.writers();
        let writers = index.lock(&writers);
        let length = writers.ring.len();
        for (slot, node) in writers.ring.iter().enumerate() {
            assert_eq!(node.slot(), slot, "each node knows its place");
        }
        (0..length)
            .map(|n| writers.ring[(writers.hand + n) % length].value)
            .collect()
    }

    /// Every node the table holds, as values, sorted; each is in the ring too.
    fn in_table(index: &Values) -> Vec<usize> {
        let mut values: Vec<usize> = index
            .table()
            .map(Table::links)
            .unwrap_or_default()
            .iter()
            .map(|(node, _)| node.value)
            .collect();
        values.sort_unstable();
        let mut ring = order(index);
        ring.sort_unstable();
        assert_eq!(values, ring, "the table and the ring agree");
        values
    }

    #[test]
    fn a_full_index_evicts_an_entry_not_used_since_the_hand_passed() {
        let index = index(3);
        let keys = keys(6);
        for (n, key) in keys.iter().enumerate().take(3) {
            let (node, evicted) = index.get_or_insert(*key, || n);
            assert_eq!((node.value, evicted.len()), (n, 0));
        }
        assert_eq!(find(&index, keys[0]), Some(0), "0 is used");
        let (_, evicted) = index.get_or_insert(keys[3], || 3);
        assert_eq!(values(evicted), [1], "1 was not");
        assert_eq!(find(&index, keys[1]), None);
        // 3 took 1's place behind the hand: the hand reaches it last.
        assert_eq!(order(&index), [2, 0, 3]);
        let (_, evicted) = index.get_or_insert(keys[4], || 4);
        assert_eq!(values(evicted), [2]);
        // Every entry used: the hand clears them all, then evicts where it began.
        for key in [keys[0], keys[3], keys[4]] {
            assert!(find(&index, key).is_some());
        }
        assert_eq!(order(&index), [0, 3, 4]);
        let (_, evicted) = index.get_or_insert(keys[5], || 5);
        assert_eq!(values(evicted), [0]);
        assert_eq!(in_table(&index), [3, 4, 5]);
    }

    #[test]
    fn a_present_key_is_found_not_added() {
        let index = index(2);
        let keys = keys(1);
        let (first, _) = index.get_or_insert(keys[0], || 1);
        let (again, evicted) = index.get_or_insert(keys[0], || 2);
        assert!(Arc::ptr_eq(&first, &again) && evicted.is_empty());
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn removal_retain_and_a_raised_bound_keep_ring_and_table_in_step() {
        let index = index(5);
        let keys = keys(8);
        for (n, key) in keys.iter().enumerate().take(5) {
            index.get_or_insert(*key, || n);
        }
        assert!(index.remove_if(keys[2], |_| false).is_none());
        assert_eq!(index.remove_if(keys[2], |_| true).map(|n| n.value), Some(2));
        assert_eq!(find(&index, keys[2]), None);
        assert_eq!(in_table(&index), [0, 1, 3, 4]);
        let removed = index.retain(|node, _| node.value != 4 && node.value != 0);
        assert_eq!(removed.len(), 2);
        assert_eq!(in_table(&index), [1, 3]);
        for (n, key) in keys.iter().enumerate().skip(5) {
            let (_, evicted) = index.get_or_insert(*key, || n);
            assert!(evicted.is_empty(), "room for {n}");
        }
        assert_eq!(in_table(&index), [1, 3, 5, 6, 7]);
        index.raise_capacity(6);
        index.raise_capacity(2);
        assert_eq!(index.capacity(), 6);
        index.get_or_insert(keys[2], || 2);
        assert_eq!(in_table(&index), [1, 2, 3, 5, 6, 7]);
        assert_eq!(index.retain(|_, _| false).len(), 6);
        assert_eq!(in_table(&index), Vec::<usize>::new());
        assert_eq!(index.len(), 0);
    }

    #[test]
    fn the_table_grows_and_the_bound_holds() {
        let bound = if cfg!(miri) { 100 } else { 1000 };
        let index = index(bound);
        let keys = keys(bound * 3 / 2);
        for (n, key) in keys.iter().enumerate() {
            index.get_or_insert(*key, || n);
        }
        assert_eq!(index.len(), bound);
        let table = index.table().unwrap();
        let buckets = bound.next_power_of_two();
        assert_eq!(
            table.buckets.len(),
            buckets,
            "doubled from 16 as entries came"
        );
        assert_eq!(in_table(&index).len(), bound);
        let found = keys.iter().filter(|key| find(&index, **key).is_some());
        assert_eq!(found.count(), bound);
        let writers = index.writers();
        let writers = index.lock(&writers);
        let replaced: usize = writers.replaced.iter().map(|t| t.buckets.len()).sum();
        assert!(replaced < buckets, "replaced tables: {replaced} buckets");
        assert!(writers
            .replaced
            .iter()
            .all(|table| table.links().is_empty()));
    }

    #[test]
    fn concurrent_readers_and_writers_agree() {
        // Miri interprets every atomic: fewer rounds still interleave threads.
        const ROUNDS: usize = if cfg!(miri) { 150 } else { 2000 };
        let index = Arc::new(index(64));
        let keys = Arc::new(keys(256));
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let (index, keys) = (index.clone(), keys.clone());
                std::thread::spawn(move || {
                    for round in 0..ROUNDS {
                        let n = (round * 7 + thread * 13) % keys.len();
                        match index.find_with(keys[n], |node, _| **node) {
                            Some(value) => assert_eq!(value, n, "a key finds its own value"),
                            None => {
                                let (node, _) = index.get_or_insert(keys[n], || n);
                                assert_eq!(node.value, n);
                            }
                        }
                        if round % 97 == 0 {
                            index.remove_if(keys[n], |_| true);
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(index.len() <= 64);
        in_table(&index);
    }

    #[test]
    fn published_values_follow_their_node() {
        let index = index(64);
        let keys = keys(40);
        let nodes: Vec<_> = (0..4)
            .map(|n| index.get_or_insert(keys[n], || n).0)
            .collect();
        let published = |key| {
            index
                .find_with(key, |_, published| published.copied())
                .flatten()
        };
        assert_eq!(published(keys[2]), None, "nothing published yet");
        index.publish(&nodes[2], |now| {
            assert!(now.is_none());
            Some(Some("two"))
        });
        index.publish(&nodes[1], |_| Some(Some("one")));
        assert_eq!(published(keys[2]), Some("two"));
        assert_eq!(published(keys[1]), Some("one"));
        index.publish(&nodes[2], |now| {
            assert_eq!(now, Some(&"two"));
            None
        });
        assert_eq!(published(keys[2]), Some("two"), "kept");
        index.publish(&nodes[1], |_| Some(None));
        assert_eq!(published(keys[1]), None, "withdrawn");
        // Kept across the table's growth, and given to retain.
        for (n, key) in keys.iter().enumerate().skip(4).take(30) {
            index.get_or_insert(*key, || n);
        }
        assert!(index.table().unwrap().buckets.len() > 16);
        let removed = index.retain(|_, published| published != Some(&"two"));
        assert_eq!(values(removed), [2]);
        assert_eq!(find(&index, keys[2]), None);
        // A node no longer in the index publishes nothing.
        index.publish(&nodes[2], |_| Some(Some("late")));
        assert_eq!(published(keys[2]), None);
        assert_eq!(in_table(&index).len(), 33);
    }

    /// Churn with a bound of 1 and 2: 200,000 additions from 8 threads keep
    /// one table of 16 buckets and free every evicted node (no chain, table
    /// or ring keeps one alive).
    #[test]
    fn churn_under_a_tiny_bound_frees_every_evicted_node() {
        const PER_THREAD: usize = if cfg!(miri) { 6 } else { 25_000 };
        for bound in [1, 2] {
            let index = Arc::new(index(bound));
            let keys = Arc::new(keys(8 * PER_THREAD));
            let threads: Vec<_> = (0..8)
                .map(|thread| {
                    let (index, keys) = (index.clone(), keys.clone());
                    std::thread::spawn(move || {
                        let mut nodes = Vec::new();
                        for n in thread * PER_THREAD..(thread + 1) * PER_THREAD {
                            let (node, evicted) = index.get_or_insert(keys[n], || n);
                            assert!(evicted.len() <= 1);
                            // Evicted already by another thread, or found as itself.
                            let found = index.find_with(keys[n], |node, _| **node);
                            assert!(found.is_none() || found == Some(n));
                            nodes.push(Arc::downgrade(&node));
                        }
                        nodes
                    })
                })
                .collect();
            let nodes: Vec<_> = threads
                .into_iter()
                .flat_map(|thread| thread.join().unwrap())
                .collect();
            assert_eq!(index.len(), bound);
            let alive = nodes.iter().filter(|node| node.strong_count() > 0);
            assert_eq!(alive.count(), bound, "bound {bound}: evicted nodes freed");
            assert_eq!(index.table().unwrap().buckets.len(), FIRST_BUCKETS);
            let writers = index.writers();
            assert!(index.lock(&writers).replaced.is_empty());
            drop(writers);
            assert_eq!(in_table(&index).len(), bound);
        }
    }

    /// Runs `child` in a forked process; its exit code (101: it panicked).
    #[cfg(not(miri))]
    fn in_child(child: impl FnOnce() -> i32) -> i32 {
        // SAFETY: the child only runs `child` and leaves with _exit.
        unsafe {
            match libc::fork() {
                -1 => panic!("fork failed"),
                0 => {
                    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child))
                        .unwrap_or(101);
                    libc::_exit(code)
                }
                pid => {
                    let mut status = 0;
                    assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
                    assert!(libc::WIFEXITED(status), "the child did not exit");
                    libc::WEXITSTATUS(status)
                }
            }
        }
    }

    /// A forked child whose threads all make their first write at once: one
    /// ring is rebuilt from the buckets, and its places are the ones the
    /// writers use (a thread that loses the race to rebuild must not set
    /// places in the nodes that the winner's writes have moved since).
    #[test]
    #[cfg(not(miri))]
    fn threads_writing_first_in_a_forked_child_keep_ring_and_table_in_step() {
        crate::fork::install_handlers();
        const BOUND: usize = 1 << 15;
        let index = Arc::new(index(BOUND));
        let keys = Arc::new(keys(BOUND + 8 * 64));
        for (n, key) in keys.iter().enumerate().take(BOUND) {
            index.get_or_insert(*key, || n);
        }
        for _ in 0..4 {
            let code = in_child(|| {
                let barrier = Arc::new(std::sync::Barrier::new(8));
                let threads: Vec<_> = (0..8)
                    .map(|thread| {
                        let (index, keys, barrier) = (index.clone(), keys.clone(), barrier.clone());
                        std::thread::spawn(move || {
                            barrier.wait();
                            for n in 0..64 {
                                let new = BOUND + thread * 64 + n;
                                index.get_or_insert(keys[new], || new);
                                let old = (thread * 509 + n * 7) % BOUND;
                                index.remove_if(keys[old], |_| true);
                            }
                        })
                    })
                    .collect();
                for thread in threads {
                    if thread.join().is_err() {
                        return 2;
                    }
                }
                // Panics (exit 101) when a node's place or the ring and the
                // table disagree.
                in_table(&index);
                i32::from(index.len() > BOUND) * 3
            });
            assert_eq!(code, 0, "the child's ring and table agree");
        }
    }

    #[test]
    fn long_chains_drop_without_recursion() {
        let mut next = None;
        let links = if cfg!(miri) { 5_000 } else { 200_000 };
        for n in 0..links {
            next = Some(Arc::new(Link::<usize, ()> {
                key: ExchangeKey::default(),
                node: Arc::new(Node::unindexed(n)),
                published: None,
                next,
            }));
        }
        drop(next);
    }
}
