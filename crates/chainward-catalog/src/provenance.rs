//! Which layer introduced a package, from the history of its database file.

use std::collections::HashMap;
use std::hash::Hash;

/// Given the versions of a package database, oldest first, each with its layer and the
/// keys of the packages it lists, returns for every key of the newest version the layer
/// that introduced it: the oldest layer of the unbroken run of versions, ending at the
/// newest, that all list the key. (A package removed and installed again was introduced by
/// the later install; an upgrade has a new key and so its own layer.)
pub fn introducing_layers<K: Eq + Hash + Clone>(versions: &[(Option<usize>, Vec<K>)]) -> HashMap<K, Option<usize>> {
    let mut out: HashMap<K, Option<usize>> = HashMap::new();
    let Some((newest_layer, newest)) = versions.last() else {
        return out;
    };
    for key in newest {
        out.insert(key.clone(), *newest_layer);
    }
    let mut alive: Vec<K> = newest.clone();
    for (layer, keys) in versions.iter().rev().skip(1) {
        let present: std::collections::HashSet<&K> = keys.iter().collect();
        alive.retain(|k| present.contains(k));
        if alive.is_empty() {
            break;
        }
        for k in &alive {
            out.insert(k.clone(), *layer);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_unbroken_run_wins() {
        let versions = vec![
            (Some(0), vec!["a", "b"]),
            (Some(2), vec!["a", "c"]),      // b removed
            (Some(4), vec!["a", "b", "c"]), // b back
        ];
        let got = introducing_layers(&versions);
        assert_eq!(got["a"], Some(0));
        assert_eq!(got["b"], Some(4));
        assert_eq!(got["c"], Some(2));
    }
}
