//! Tests of the write path against real indices in temp dirs.

use crate::bulk::execute::bulk;
use crate::bulk::ids::IdGen;
use crate::bulk::response::{BulkResponse, ItemOutcome};
use crate::index::refresher::Refresh;
use crate::index::IndexSet;

/// `(result, _seq_no, _version)` of each item (`None`: it failed).
fn outcomes(r: &BulkResponse) -> Vec<Option<(&'static str, u64, u64)>> {
    r.items
        .iter()
        .map(|i| match &i.outcome {
            ItemOutcome::Ok {
                result, version, ..
            } => Some((result.name(), version.seq_no, version.version)),
            ItemOutcome::Err { .. } => None,
        })
        .collect()
}

/// Writes never committed come back from the translog with the sequence numbers and versions they were
/// acknowledged with, and the numbering goes on after them; after a commit it goes on from the commit's
/// `max_seq_no`.
#[test]
fn a_translog_replay_gives_back_the_same_sequence_numbers_and_versions() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ids = IdGen::default();
    let write =
        |set: &IndexSet, body: &str| bulk(set, &ids, body.as_bytes(), Some("app"), Refresh::False);
    {
        let set = IndexSet::open(dir.path(), &Default::default())?;
        let r = write(
            &set,
            concat!(
                "{\"index\":{\"_id\":\"a\"}}\n{\"n\":1}\n",
                "{\"index\":{\"_id\":\"a\"}}\n{\"n\":2}\n",
                "{\"index\":{\"_id\":\"b\"}}\n{\"n\":1}\n",
                "{\"delete\":{\"_id\":\"b\"}}\n",
                "{\"delete\":{\"_id\":\"nothing\"}}\n",
                "{\"index\":{}}\n{\"n\":1}\n",
                "{\"index\":{\"_id\":\"nothing\"}}\n{\"n\":1}\n",
            ),
        )?;
        assert_eq!(
            outcomes(&r),
            [
                Some(("created", 0, 1)),
                Some(("updated", 1, 2)),
                Some(("created", 2, 1)),
                Some(("deleted", 3, 2)),
                Some(("not_found", 4, 1)),
                Some(("created", 5, 1)),
                // A delete's tombstone counts until the next commit, found or not.
                Some(("created", 6, 2)),
            ]
        );
        // Dropped without a commit, as by kill -9: only the translog has the writes.
    }
    {
        let set = IndexSet::open(dir.path(), &Default::default())?;
        let r = write(
            &set,
            "{\"index\":{\"_id\":\"a\"}}\n{\"n\":3}\n{\"index\":{\"_id\":\"nothing\"}}\n{}\n",
        )?;
        assert_eq!(
            outcomes(&r),
            [Some(("updated", 7, 3)), Some(("updated", 8, 3))]
        );
        set.close_all();
    }
    let set = IndexSet::open(dir.path(), &Default::default())?;
    let r = write(
        &set,
        "{\"index\":{\"_id\":\"a\"}}\n{\"n\":4}\n{\"index\":{\"_id\":\"c\"}}\n{\"n\":1}\n",
    )?;
    assert_eq!(
        outcomes(&r),
        [Some(("updated", 9, 4)), Some(("created", 10, 1))]
    );
    Ok(())
}
