//! Integration tests: the built binary, the shim and the installer, one module per topic.

mod util;

mod bad_input;
mod children;
mod cli;
mod concurrency;
mod crash;
mod daemon_json;
mod dhcpcd;
mod docs;
mod doctor;
mod doctor_dhcp;
mod doctor_docker;
mod doctor_engine;
mod doctor_networkd;
mod doctor_nptv6;
mod failures;
mod hook_run;
mod hostile_events;
mod hostile_files;
mod install;
mod layout;
mod loss;
mod networkmanager;
mod nptv6;
mod root;
mod settings;
mod shim;
mod sipcalc;
mod status;
mod subnet_id;
mod unreadable;
mod watch;
