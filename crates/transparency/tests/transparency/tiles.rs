//! The tlog-tiles layout, cross-checked against a second implementation: the tiles `Tiler`
//! builds are byte for byte the ones `tlog_tiles` (Go's sumdb/tlog, ported) reads from a
//! tree it stored itself, for sizes at and around every tile edge; and the paths follow C2SP.

use tlog_tiles::{HashReader, Tile, stored_hashes, tree_hash};
use treaty_transparency::tiles::{Tiler, entries_path, read_bundle, tile_path};

struct Stored(Vec<tlog_tiles::Hash>);

impl HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn leaf(i: u64) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

#[test]
fn paths_follow_c2sp_tlog_tiles() {
    assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
    assert_eq!(tile_path(1, 1_234_067, 8), "tile/1/x001/x234/067.p/8");
    assert_eq!(tile_path(2, 0, 1), "tile/2/000.p/1");
    assert_eq!(entries_path(1000, 256), "tile/entries/x001/000");
    assert_eq!(entries_path(5, 17), "tile/entries/005.p/17");
}

#[test]
fn every_tile_and_root_matches_the_tiles_tlog_tiles_reads_from_its_own_stored_tree() {
    let sizes = [
        1, 2, 3, 255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537, 66_000,
    ];
    let last = *sizes.iter().max().unwrap();
    let mut stored = Stored(Vec::new());
    let mut tiler = Tiler::new();
    let mut full = Vec::new();
    for n in 0..last {
        let data = leaf(n);
        let hashes = stored_hashes(n, &data, &stored).unwrap();
        stored.0.extend(hashes);
        full.extend(tiler.push(&data).unwrap());
        let size = n + 1;
        if !sizes.contains(&size) {
            continue;
        }
        assert_eq!(
            tiler.root(),
            tree_hash(size, &stored).unwrap().0,
            "root of {size}"
        );
        // Every hash tile of a tree of `size`, as tlog_tiles lists and reads them.
        let mut want: Vec<(String, Vec<u8>)> = Tile::new_tiles(8, 0, size)
            .into_iter()
            .map(|t| {
                let path = t.path().replacen("tile/8/", "tile/", 1);
                (path, t.read_data(&stored).unwrap())
            })
            .collect();
        want.sort();
        let mut got: Vec<(String, Vec<u8>)> = full
            .iter()
            .chain(&tiler.partial())
            .filter(|f| !f.entries)
            .map(|f| (f.path.clone(), f.data.clone()))
            .collect();
        got.sort();
        assert_eq!(got, want, "the hash tiles of a tree of {size}");
    }
    // The entry bundles hold every leaf, in order.
    let bundles: Vec<_> = full
        .iter()
        .chain(&tiler.partial())
        .filter(|f| f.entries)
        .cloned()
        .collect();
    let leaves: Vec<Vec<u8>> = bundles
        .iter()
        .flat_map(|b| {
            read_bundle(&b.data)
                .unwrap()
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(leaves, (0..last).map(leaf).collect::<Vec<_>>());
    assert_eq!(
        bundles.last().unwrap().path,
        entries_path(last / 256, last % 256)
    );
}

#[test]
fn a_bundle_that_is_cut_off_or_an_entry_too_long_is_refused() {
    assert!(
        read_bundle(&[0, 5, 1, 2])
            .unwrap_err()
            .contains("claims 5 bytes")
    );
    assert!(read_bundle(&[0]).unwrap_err().contains("cut off"));
    assert!(Tiler::new().push(&vec![0; 70_000]).is_err());
}
