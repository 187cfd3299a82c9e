//! The server's choices as flag values of `hookpit serve`, with the help each value shows.
//!
//! Conversions both ways are exhaustive matches, so a value the server adds cannot be forgotten
//! here.

use clap::ValueEnum;
use hookpit_server::config::{ExtraUploadType, LimitProfile, SyncMode};

/// `--limits` and `--relay-limits`: the server's [`LimitProfile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LimitProfileArg {
    /// WeCom's internal document: 100/min per chat, broadcast and user; 10,000/min per bot.
    Internal,
    /// WeCom's public document: 20/min per bot.
    Public,
    /// No limits and no identical-body rule.
    Off,
}

impl From<LimitProfileArg> for LimitProfile {
    fn from(arg: LimitProfileArg) -> LimitProfile {
        match arg {
            LimitProfileArg::Internal => LimitProfile::Internal,
            LimitProfileArg::Public => LimitProfile::Public,
            LimitProfileArg::Off => LimitProfile::Off,
        }
    }
}

impl From<LimitProfile> for LimitProfileArg {
    fn from(profile: LimitProfile) -> LimitProfileArg {
        match profile {
            LimitProfile::Internal => LimitProfileArg::Internal,
            LimitProfile::Public => LimitProfileArg::Public,
            LimitProfile::Off => LimitProfileArg::Off,
        }
    }
}

/// `--upload-types`: the server's [`ExtraUploadType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtraUploadTypeArg {
    Image,
    Video,
}

impl From<ExtraUploadTypeArg> for ExtraUploadType {
    fn from(arg: ExtraUploadTypeArg) -> ExtraUploadType {
        match arg {
            ExtraUploadTypeArg::Image => ExtraUploadType::Image,
            ExtraUploadTypeArg::Video => ExtraUploadType::Video,
        }
    }
}

impl From<ExtraUploadType> for ExtraUploadTypeArg {
    fn from(kind: ExtraUploadType) -> ExtraUploadTypeArg {
        match kind {
            ExtraUploadType::Image => ExtraUploadTypeArg::Image,
            ExtraUploadType::Video => ExtraUploadTypeArg::Video,
        }
    }
}

/// `--sync`: the server's [`SyncMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncModeArg {
    /// `synchronous=FULL`: each group commit is fsynced before any sender is answered.
    Full,
    /// `synchronous=NORMAL`: commits survive process crashes, not power loss.
    Normal,
}

impl From<SyncModeArg> for SyncMode {
    fn from(arg: SyncModeArg) -> SyncMode {
        match arg {
            SyncModeArg::Full => SyncMode::Full,
            SyncModeArg::Normal => SyncMode::Normal,
        }
    }
}

impl From<SyncMode> for SyncModeArg {
    fn from(mode: SyncMode) -> SyncModeArg {
        match mode {
            SyncMode::Full => SyncModeArg::Full,
            SyncMode::Normal => SyncModeArg::Normal,
        }
    }
}
