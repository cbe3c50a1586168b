//! The commands, one file each: glue from validated settings (`config`) to
//! the pipeline and the report. `lib::run` dispatches to them; each returns
//! an `Outcome` for the exit status. `runtime` is the one async runtime and
//! the signal handling the networked commands share.

pub mod check;
pub mod data;
pub mod demo;
pub mod generate;
pub mod headers;
pub mod hunt;
pub mod import;
pub mod merge;
pub mod runtime;
pub mod scan;
pub mod shards;
pub mod simulate;
pub mod table;
pub mod version;
