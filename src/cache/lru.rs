//! A bounded map that forgets its least recently used entry first: a hash map
//! into a slab of nodes, linked from the most to the least recently used.
//! Lookups, inserts and removals are O(1); [`Lru::retain`] is O(n).
//!
//! Not thread-safe by itself: the exchanged-token cache keeps it behind a mutex.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

/// No node: the end of the list.
const NIL: usize = usize::MAX;

#[derive(Clone, Debug)]
struct Node<K, V> {
    key: K,
    value: V,
    /// Towards the most recently used.
    newer: usize,
    /// Towards the least recently used.
    older: usize,
}

/// At most `capacity` entries; inserting one more evicts the least recently
/// used. Keys are small `Copy` values; `S` hashes them.
#[derive(Clone, Debug)]
pub(crate) struct Lru<K, V, S> {
    index: HashMap<K, usize, S>,
    /// Slots of the slab; `None` slots are listed in `free`.
    nodes: Vec<Option<Node<K, V>>>,
    free: Vec<usize>,
    newest: usize,
    oldest: usize,
    capacity: usize,
}

impl<K: Copy + Eq + Hash, V, S: BuildHasher + Default> Lru<K, V, S> {
    /// An empty map holding at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Lru {
            index: HashMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            newest: NIL,
            oldest: NIL,
            capacity: capacity.max(1),
        }
    }

    /// The number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The bound.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the bound (at least one); returns the entries a smaller bound evicts.
    pub(crate) fn set_capacity(&mut self, capacity: usize) -> Vec<V> {
        self.capacity = capacity.max(1);
        let mut evicted = Vec::new();
        while self.index.len() > self.capacity {
            evicted.extend(self.pop_oldest());
        }
        evicted
    }

    /// The value of `key`, which becomes the most recently used.
    pub(crate) fn get(&mut self, key: &K) -> Option<&V> {
        let slot = *self.index.get(key)?;
        self.unlink(slot);
        self.link_newest(slot);
        self.nodes[slot].as_ref().map(|node| &node.value)
    }

    /// Adds `key` (absent) as the most recently used; returns the value it
    /// evicts when the map was full.
    ///
    /// # Panics
    /// If `key` is already present (callers look it up first).
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        assert!(
            !self.index.contains_key(&key),
            "Lru::insert of a present key"
        );
        let evicted = if self.index.len() >= self.capacity {
            self.pop_oldest()
        } else {
            None
        };
        let node = Node {
            key,
            value,
            newer: NIL,
            older: NIL,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot] = Some(node);
                slot
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        };
        self.index.insert(key, slot);
        self.link_newest(slot);
        evicted
    }

    /// Removes `key` if `remove` says so of its value; returns the value removed.
    pub(crate) fn remove_if(&mut self, key: &K, remove: impl FnOnce(&V) -> bool) -> Option<V> {
        let slot = *self.index.get(key)?;
        let node = self.nodes[slot].as_ref()?;
        if !remove(&node.value) {
            return None;
        }
        Some(self.take(slot))
    }

    /// Keeps the entries for which `keep` is true; returns the others.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) -> Vec<V> {
        let doomed: Vec<usize> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(slot, node)| match node {
                Some(node) if !keep(&node.value) => Some(slot),
                _ => None,
            })
            .collect();
        doomed.into_iter().map(|slot| self.take(slot)).collect()
    }

    fn pop_oldest(&mut self) -> Option<V> {
        (self.oldest != NIL).then(|| self.take(self.oldest))
    }

    /// Unlinks and frees `slot` (occupied); returns its value.
    fn take(&mut self, slot: usize) -> V {
        self.unlink(slot);
        let node = self.nodes[slot].take().expect("an occupied slot");
        self.index.remove(&node.key);
        self.free.push(slot);
        node.value
    }

    fn node(&mut self, slot: usize) -> &mut Node<K, V> {
        self.nodes[slot]
            .as_mut()
            .expect("a linked slot is occupied")
    }

    fn unlink(&mut self, slot: usize) {
        let (newer, older) = {
            let node = self.node(slot);
            (node.newer, node.older)
        };
        match newer {
            NIL => self.newest = older,
            newer => self.node(newer).older = older,
        }
        match older {
            NIL => self.oldest = newer,
            older => self.node(older).newer = newer,
        }
        let node = self.node(slot);
        node.newer = NIL;
        node.older = NIL;
    }

    fn link_newest(&mut self, slot: usize) {
        let previous = self.newest;
        {
            let node = self.node(slot);
            node.newer = NIL;
            node.older = previous;
        }
        match previous {
            NIL => self.oldest = slot,
            previous => self.node(previous).newer = slot,
        }
        self.newest = slot;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::RandomState;

    use super::*;

    fn lru(capacity: usize) -> Lru<u32, String, RandomState> {
        Lru::new(capacity)
    }

    fn order(map: &Lru<u32, String, RandomState>) -> Vec<u32> {
        let mut keys = Vec::new();
        let mut slot = map.newest;
        while slot != NIL {
            let node = map.nodes[slot].as_ref().unwrap();
            keys.push(node.key);
            slot = node.older;
        }
        let mut backwards = Vec::new();
        let mut slot = map.oldest;
        while slot != NIL {
            let node = map.nodes[slot].as_ref().unwrap();
            backwards.push(node.key);
            slot = node.newer;
        }
        backwards.reverse();
        assert_eq!(keys, backwards, "the two directions agree");
        assert_eq!(keys.len(), map.len());
        keys
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let mut map = lru(3);
        for key in 1..=3 {
            assert_eq!(map.insert(key, format!("v{key}")), None);
        }
        assert_eq!(order(&map), [3, 2, 1]);
        assert_eq!(map.get(&1).map(String::as_str), Some("v1"));
        assert_eq!(order(&map), [1, 3, 2]);
        assert_eq!(map.insert(4, "v4".into()).as_deref(), Some("v2"));
        assert_eq!(order(&map), [4, 1, 3]);
        assert!(map.get(&2).is_none());
        assert_eq!(map.insert(5, "v5".into()).as_deref(), Some("v3"));
        assert_eq!(order(&map), [5, 4, 1]);
    }

    #[test]
    fn removal_retain_and_capacity_changes_keep_the_links() {
        let mut map = lru(5);
        for key in 1..=5 {
            map.insert(key, format!("v{key}"));
        }
        assert!(map.remove_if(&3, |_| false).is_none());
        assert_eq!(map.remove_if(&3, |_| true).as_deref(), Some("v3"));
        assert_eq!(order(&map), [5, 4, 2, 1]);
        let removed = map.retain(|value| value != "v5" && value != "v1");
        assert_eq!(removed.len(), 2);
        assert_eq!(order(&map), [4, 2]);
        map.insert(6, "v6".into());
        map.insert(7, "v7".into());
        assert_eq!(order(&map), [7, 6, 4, 2]);
        assert_eq!(map.set_capacity(2), ["v2", "v4"]);
        assert_eq!(order(&map), [7, 6]);
        assert_eq!(map.capacity(), 2);
        assert_eq!(map.set_capacity(0).len(), 1, "the bound is at least one");
        assert_eq!(order(&map), [7]);
        assert_eq!(map.len(), 1);
        map.get(&7);
        assert_eq!(order(&map), [7]);
    }

    #[test]
    fn slots_are_reused() {
        let mut map = lru(2);
        for key in 0..100 {
            map.insert(key, key.to_string());
        }
        assert!(
            map.nodes.len() <= 3,
            "{} slots for 2 entries",
            map.nodes.len()
        );
        assert_eq!(order(&map), [99, 98]);
    }
}
