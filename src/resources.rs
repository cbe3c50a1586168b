//! The scanner's own limits, which must never pass for the hosts' failures:
//! the open-file limit is raised to its hard ceiling before a scan or the lab
//! fleet starts, and the concurrency is lowered (the caller warns) when even
//! that cannot hold a socket or two for every host probed at once.

/// Descriptors kept aside for everything but probe sockets: standard
/// streams, the runtime's own, the inventory, the report and its temporary
/// file, the baseline, the CA file.
const RESERVED: u64 = 32;
/// Sockets one host's probe may hold at once: its connection, and a second
/// one while a legacy-TLS or lenient re-read opens.
const PER_HOST: u64 = 2;

/// The concurrency that fits `soft` open files.
pub fn fitting(soft: u64, wanted: usize) -> usize {
    let room = soft.saturating_sub(RESERVED) / PER_HOST;
    (wanted as u64).min(room).max(1) as usize
}

/// The most TCP connects in flight by default.
pub const MAX_CONNECTS: usize = 8192;

/// The connects in flight that fit `soft` open files beside `concurrency`
/// sessions (each may hold `PER_HOST` sockets): at most `MAX_CONNECTS`.
pub fn connects_fitting(soft: u64, concurrency: usize) -> usize {
    let room = soft.saturating_sub(RESERVED + PER_HOST * concurrency as u64);
    room.min(MAX_CONNECTS as u64).max(1) as usize
}

/// `--max-connects` when not given: what the (raised) open-file limit holds.
pub fn default_max_connects(concurrency: usize) -> usize {
    connects_fitting(raise_open_files().unwrap_or(u64::MAX), concurrency)
}

/// How many hosts may be probed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fitted {
    /// The concurrency that fits: `wanted`, or less.
    pub concurrency: usize,
    /// The soft open-file limit, when it is what lowered the concurrency.
    pub lowered_by: Option<u64>,
}

/// Raises the soft open-file limit to the hard one, and returns the
/// concurrency that fits, saying when the limit lowered it below `wanted`.
pub fn fit_concurrency(wanted: usize) -> Fitted {
    let Some(soft) = raise_open_files() else { return Fitted { concurrency: wanted, lowered_by: None } };
    let fits = fitting(soft, wanted);
    Fitted { concurrency: fits, lowered_by: (fits < wanted).then_some(soft) }
}

/// The soft limit after raising it as far as allowed; `None` where it
/// cannot be read.
#[cfg(unix)]
pub fn raise_open_files() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not everywhere
    Some(limit.rlim_cur as u64)
}

/// The soft limit after raising it as far as allowed; `None` where it
/// cannot be read.
#[cfg(not(unix))]
pub fn raise_open_files() -> Option<u64> {
    None
}

/// Whether an I/O error is this machine running out of something (open
/// files, buffers, local ports), not the remote host failing: such errors
/// are retried.
pub fn is_local_exhaustion(err: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(
            err.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::EADDRNOTAVAIL)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = err;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_fits_the_open_file_limit() {
        let cases = [(20_000, 128, 128), (1024, 4096, 496), (64, 128, 16), (10, 128, 1), (u64::MAX, 4096, 4096)];
        for (soft, wanted, want) in cases {
            assert_eq!(fitting(soft, wanted), want, "{soft} {wanted}");
        }
    }

    #[test]
    fn only_running_out_of_local_resources_is_local() {
        for (code, local) in [
            (libc::EMFILE, true),
            (libc::ENFILE, true),
            (libc::ENOBUFS, true),
            (libc::EADDRNOTAVAIL, true),
            (libc::ECONNREFUSED, false),
            (libc::ETIMEDOUT, false),
            (libc::EHOSTUNREACH, false),
        ] {
            assert_eq!(is_local_exhaustion(&std::io::Error::from_raw_os_error(code)), local, "{code}");
        }
    }
}
