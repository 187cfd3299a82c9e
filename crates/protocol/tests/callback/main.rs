//! The bot callbacks of spec §8: WXBizMsgCrypt against the spec's test vector and its edge
//! cases, the envelopes, the payloads (the document's own examples, verbatim) and passive
//! replies, and a property test that no parser panics on any input.

mod crypto;
mod envelope;
mod event;
mod passive;
mod property;
