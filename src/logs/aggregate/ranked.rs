//! A hash table of byte keys hashed by their [`super::key_rank`].
//!
//! The capped maps of an aggregate (groups, the requests of a group) decide
//! which keys they keep by each key's rank, a fixed 64-bit hash of the key.
//! Hashing the key a second time for the table itself would hash every
//! line's key twice, so this map uses the rank as the table's hash: a key
//! is hashed once per line, and its stored rank is reused whenever the
//! table grows. It is `hashbrown`'s table, the one `std::collections`'s
//! `HashMap` is built on, through its safe `HashTable` interface.

use hashbrown::HashTable;

use super::key_rank;

/// One key, its rank and its value.
#[derive(Debug, Clone)]
struct Entry<V> {
    rank: u64,
    key: Box<[u8]>,
    value: V,
}

/// Byte keys → `V`, hashed by [`key_rank`]. Methods that take a `rank`
/// expect `key_rank(key)`.
#[derive(Debug, Clone)]
pub struct RankedMap<V> {
    table: HashTable<Entry<V>>,
}

impl<V> Default for RankedMap<V> {
    fn default() -> Self {
        RankedMap {
            table: HashTable::new(),
        }
    }
}

impl<V> RankedMap<V> {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        let rank = key_rank(key);
        self.table
            .find(rank, |e| e.rank == rank && *e.key == *key)
            .map(|e| &e.value)
    }

    /// The value of `key`, whose rank is `rank`.
    pub fn get_mut(&mut self, rank: u64, key: &[u8]) -> Option<&mut V> {
        self.table
            .find_mut(rank, |e| e.rank == rank && *e.key == *key)
            .map(|e| &mut e.value)
    }

    /// Add `key` (of rank `rank`), which is not in the map.
    pub fn insert_new(&mut self, rank: u64, key: Box<[u8]>, value: V) {
        debug_assert!(self.get(&key).is_none(), "insert_new of a present key");
        self.table
            .insert_unique(rank, Entry { rank, key, value }, |e| e.rank);
    }

    /// Take `key` (of rank `rank`) out of the map.
    pub fn remove(&mut self, rank: u64, key: &[u8]) -> Option<V> {
        match self
            .table
            .find_entry(rank, |e| e.rank == rank && *e.key == *key)
        {
            Ok(found) => Some(found.remove().0.value),
            Err(_) => None,
        }
    }

    /// Keep the entries for which `keep(rank, value)` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(u64, &mut V) -> bool) {
        self.table.retain(|e| keep(e.rank, &mut e.value));
    }

    /// `(key, rank, value)` of every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64, &V)> {
        self.table.iter().map(|e| (&e.key[..], e.rank, &e.value))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.table.iter().map(|e| &e.value)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.table.iter_mut().map(|e| &mut e.value)
    }

    /// `(key, rank, value)` of every entry, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (Box<[u8]>, u64, V)> {
        self.table.into_iter().map(|e| (e.key, e.rank, e.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_map() {
        let mut m: RankedMap<u32> = RankedMap::default();
        let keys: Vec<Vec<u8>> = (0..1000).map(|i| format!("key {i}").into_bytes()).collect();
        for (i, k) in keys.iter().enumerate() {
            m.insert_new(key_rank(k), k.clone().into(), i as u32);
        }
        assert_eq!(m.len(), 1000);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), Some(&(i as u32)));
            *m.get_mut(key_rank(k), k).unwrap() += 1;
        }
        assert_eq!(m.get(b"key 1000"), None);
        assert_eq!(m.remove(key_rank(&keys[7]), &keys[7]), Some(8));
        assert_eq!(m.remove(key_rank(&keys[7]), &keys[7]), None);
        m.retain(|_, v| *v % 2 == 0);
        assert_eq!(m.len(), 499);
        for (k, rank, v) in m.iter() {
            assert_eq!(rank, key_rank(k));
            assert_eq!(Some(v), m.get(k));
        }
        let sum: u32 = m.into_entries().map(|(_, _, v)| v).sum();
        assert_eq!(
            sum,
            (1..=1000u32).filter(|v| v % 2 == 0 && *v != 8).sum::<u32>()
        );
    }
}
