//! The bot callbacks of spec §8: WXBizMsgCrypt against the spec's test vector and its edge
//! cases, the envelopes, the payloads (the document's own examples, verbatim) and passive
//! replies, a property test that no parser panics on any input, and the examples written out as
//! fuzz seeds (`fuzz/seeds.sh`).

mod crypto;
mod envelope;
mod event;
mod passive;
mod property;
mod seeds;
