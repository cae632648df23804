//! The cluster as a fleet of running hosts: rolling the files that
//! `panteras cluster` renders out to the hosts with Ansible ([`ansible`]),
//! and telling on a host whether its container runs what was generated
//! ([`status`]). Neither changes how a host is rendered.

pub mod ansible;
pub mod line_change;
pub mod status;
