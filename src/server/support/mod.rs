//! Support: tickets with SLAs, the customer portal, and the kickoff forms that bring people in.

pub mod forms;
pub mod inbound;
pub mod mailbox;
pub mod mailing;
pub mod portal;
pub mod received;
pub mod tickets;
