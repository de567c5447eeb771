//! Where the actions of a `_bulk` for one name go: the write index of an alias, a plain index (created on
//! the first write), the write
//! index of a data stream (the data stream created on the first `create`, its other backing indices
//! checked for the `_id` of each `create`), or a backing index named directly. The actions a data stream
//! refuses fail here, with ES's errors: `index` and `delete` into a data stream, `create` and `index`
//! into a backing index.

use std::sync::Arc;

use crate::bulk::error::ItemError;
use crate::bulk::request::{Action, Op};
use crate::bulk::response::ItemOutcome as Outcome;
use crate::index::stream_ops::WriteKind;
use crate::index::{IndexError, IndexHandle, IndexSet};

/// The index a group of actions is written to.
pub struct GroupTarget {
    pub handle: Arc<IndexHandle>,
    /// A data stream's other backing indices: a `create` of an `_id` one of them holds is a conflict too,
    /// so a replay after a rollover does not duplicate.
    pub older: Vec<Arc<IndexHandle>>,
    /// The group writes into a data stream: its documents must have `@timestamp`.
    pub data_stream: bool,
    /// A write finding the index deleted may create it again (plain indices only).
    pub recreate: bool,
    /// The actions written to it (those of the group the target did not refuse), in order.
    pub members: Vec<usize>,
}

/// Routes the actions `members` (all for `name`): fails those the target refuses (their outcome set) and
/// returns the target with the actions left, or `None` when none is left.
pub fn route_group(
    set: &IndexSet,
    name: &str,
    ops: &[Op<'_>],
    members: &[usize],
    outcomes: &mut [Option<Outcome>],
    targets: &mut [Option<String>],
) -> Result<Option<GroupTarget>, IndexError> {
    // An alias: its write index takes the writes (an alias without one fails them all).
    if let Some(write) = set.alias_write_index(name)? {
        for &i in members {
            targets[i] = Some(write.clone());
        }
        return route_group(set, &write, ops, members, outcomes, targets);
    }
    let mut refuse = |i: usize, error: ItemError| {
        outcomes[i] = Some(Outcome::Err {
            id: ops[i].id.clone(),
            error,
        });
    };
    match set.write_kind(name) {
        WriteKind::Index => {
            let target = GroupTarget {
                handle: set.get_or_create(name)?,
                older: Vec::new(),
                data_stream: false,
                recreate: true,
                members: members.to_vec(),
            };
            Ok(Some(target))
        }
        WriteKind::DataStream => {
            let mut kept = Vec::with_capacity(members.len());
            for &i in members {
                if ops[i].action == Action::Create {
                    kept.push(i);
                } else {
                    refuse(i, ItemError::StreamOpType);
                }
            }
            if kept.is_empty() {
                return Ok(None);
            }
            let stream = set.stream_write_target(name)?;
            for &i in &kept {
                targets[i] = Some(stream.write.name.clone());
            }
            let target = GroupTarget {
                handle: stream.write,
                older: stream.older,
                data_stream: true,
                recreate: false,
                members: kept,
            };
            Ok(Some(target))
        }
        WriteKind::BackingIndex { stream } => {
            let mut kept = Vec::new();
            for &i in members {
                let (index, stream) = (name.to_string(), stream.clone());
                match ops[i].action {
                    Action::Create => refuse(i, ItemError::BackingCreate { index, stream }),
                    Action::Index => refuse(i, ItemError::BackingIndex { index, stream }),
                    _ => kept.push(i),
                }
            }
            if kept.is_empty() {
                return Ok(None);
            }
            let handle = set.get(name).ok_or_else(|| IndexError::NotFound {
                name: name.to_string(),
            })?;
            let target = GroupTarget {
                handle,
                older: Vec::new(),
                data_stream: false,
                recreate: false,
                members: kept,
            };
            Ok(Some(target))
        }
    }
}
