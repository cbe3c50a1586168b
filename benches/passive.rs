//! The passive readers' benchmark (hunt and import throughput); its
//! measurements come in the next commit.
fn main() {}
