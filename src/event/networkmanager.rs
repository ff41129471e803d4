//! NetworkManager's dispatcher event: the dispatcher script passes the interface and the
//! action NetworkManager gave it (`DISPATCHER_INTERFACE`, `DISPATCHER_ACTION`), and
//! NetworkManager (1.44 on) puts the delegated prefixes in `DHCP6_IP6_PREFIX`, space-separated
//! (`2001:db8::/56 2001:db8:1::/56`), on `dhcp6-change` and `up`. No lifetimes come with them.

use std::os::unix::ffi::OsStrExt;

use crate::error::InputError;
use crate::event::env::Env;
use crate::event::prefix::{NewPrefix, parse_delegated};
use crate::subnet::SubnetChoice;

/// The variable NetworkManager puts the delegated prefixes in.
pub const PREFIX_VAR: &str = "DHCP6_IP6_PREFIX";
/// The variables the dispatcher script passes NetworkManager's arguments in.
pub const INTERFACE_VAR: &str = "DISPATCHER_INTERFACE";
pub const ACTION_VAR: &str = "DISPATCHER_ACTION";

/// What one dispatcher call says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// `dhcp6-change` or `up` with delegated prefixes on `interface`.
    Prefixes {
        interface: String,
        prefixes: Vec<NewPrefix>,
    },
    /// `down`: whatever `interface` delegated is gone.
    Down { interface: String },
    /// Any other action, or one without prefixes: nothing for us.
    Nothing,
}

/// Reads the dispatcher call from `env`; each prefix must hold the subnet `choice` takes.
pub fn read(env: &Env, choice: SubnetChoice) -> Result<Dispatch, InputError> {
    let text = |name: &str| env.get(name).map(|v| v.to_string_lossy().into_owned());
    let (Some(interface), Some(action)) = (text(INTERFACE_VAR), text(ACTION_VAR)) else {
        return Ok(Dispatch::Nothing);
    };
    match action.as_str() {
        "down" => Ok(Dispatch::Down { interface }),
        "up" | "dhcp6-change" => {
            let Some(raw) = env.get(PREFIX_VAR) else {
                return Ok(Dispatch::Nothing);
            };
            let prefixes = raw
                .as_bytes()
                .split(|b| *b == b' ')
                .filter(|word| !word.is_empty())
                .map(|word| {
                    Ok(NewPrefix {
                        delegated: parse_delegated(
                            PREFIX_VAR,
                            std::ffi::OsStr::from_bytes(word),
                            choice,
                        )?,
                        withdrawn: false,
                    })
                })
                .collect::<Result<Vec<_>, InputError>>()?;
            if prefixes.is_empty() {
                return Ok(Dispatch::Nothing);
            }
            Ok(Dispatch::Prefixes {
                interface,
                prefixes,
            })
        }
        _ => Ok(Dispatch::Nothing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::env;

    fn dispatch(vars: &[(&str, &str)]) -> Result<Dispatch, InputError> {
        read(&env(vars), SubnetChoice::first(80))
    }

    #[test]
    fn every_prefix_of_dhcp6_change_and_up_is_read_in_order() {
        for action in ["dhcp6-change", "up"] {
            let got = dispatch(&[
                (INTERFACE_VAR, "wan0"),
                (ACTION_VAR, action),
                (PREFIX_VAR, "2001:db8:1::/56  2001:db8:2::/60"),
            ])
            .unwrap();
            let Dispatch::Prefixes {
                interface,
                prefixes,
            } = got
            else {
                panic!("{action}: {got:?}");
            };
            assert_eq!(interface, "wan0");
            let found: Vec<String> = prefixes
                .iter()
                .map(|p| p.delegated.prefix.to_string())
                .collect();
            assert_eq!(found, ["2001:db8:1::/56", "2001:db8:2::/60"]);
        }
    }

    #[test]
    fn down_is_a_loss_and_other_actions_nothing() {
        let down = dispatch(&[(INTERFACE_VAR, "wan0"), (ACTION_VAR, "down")]).unwrap();
        assert_eq!(
            down,
            Dispatch::Down {
                interface: "wan0".into()
            }
        );
        for vars in [
            &[(INTERFACE_VAR, "wan0"), (ACTION_VAR, "up")][..],
            &[
                (INTERFACE_VAR, "wan0"),
                (ACTION_VAR, "dhcp4-change"),
                (PREFIX_VAR, "x"),
            ],
            &[(ACTION_VAR, "up"), (PREFIX_VAR, "2001:db8:1::/56")],
        ] {
            assert_eq!(dispatch(vars).unwrap(), Dispatch::Nothing, "{vars:?}");
        }
    }

    #[test]
    fn a_bad_prefix_is_refused_by_its_variable() {
        let err = dispatch(&[
            (INTERFACE_VAR, "wan0"),
            (ACTION_VAR, "up"),
            (PREFIX_VAR, "2001:db8:1::/56 fe80::/60"),
        ])
        .unwrap_err();
        assert_eq!(err.var, PREFIX_VAR);
        assert!(err.problem.contains("link-local"), "{err}");
    }
}
