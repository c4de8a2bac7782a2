//! The Tencent Chat REST protocol: wire types, UserSig, error codes, UserIDs. No I/O policy here.

pub mod codes;
pub mod ids;
pub mod usersig;
pub mod wire;
