//! The text form of the maker's log: one line per [`LogEvent`] (`--json`
//! prints the event itself). Tokens are never in it.

use std::fmt;

use super::LogEvent;

/// Generation ids as `1, 2`.
fn ids(generations: &[u32]) -> String {
    generations
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvent::Listening { address, nat_t } => write!(
                f,
                "listening on {address}{}",
                if *nat_t { " (non-ESP marker)" } else { "" }
            ),
            LogEvent::Answered {
                from,
                spi_i,
                spi_r,
                exchange,
                message_id,
                generations,
                ..
            } => write!(
                f,
                "answered {from}: {exchange} request, message ID {message_id}, SPIs {spi_i} {spi_r}, tokens of generation(s) {}",
                ids(generations)
            ),
            LogEvent::Ignored { from, reason, .. } => {
                write!(f, "ignored {from}: {}", reason.describe())
            }
            LogEvent::RateLimited { from, .. } => write!(f, "not answered {from}: rate limit"),
            LogEvent::Reloaded { generations } => write!(
                f,
                "reloaded the keyring: generation(s) {} in use",
                ids(generations)
            ),
            LogEvent::ReloadFailed { error } => {
                write!(f, "reload failed, the previous secrets stay in use: {error}")
            }
            LogEvent::Stopped { answered } => write!(f, "stopped after {answered} answer(s)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines() {
        let answered = LogEvent::Answered {
            from: "192.0.2.1:500".into(),
            local: "192.0.2.2:500".into(),
            spi_i: "0123456789abcdef".into(),
            spi_r: "fedcba9876543210".into(),
            exchange: "INFORMATIONAL".into(),
            message_id: 7,
            generations: vec![2, 1],
        };
        assert_eq!(
            answered.to_string(),
            "answered 192.0.2.1:500: INFORMATIONAL request, message ID 7, SPIs 0123456789abcdef fedcba9876543210, tokens of generation(s) 2, 1"
        );
        let listening = LogEvent::Listening {
            address: "[::1]:4500".into(),
            nat_t: true,
        };
        assert_eq!(
            listening.to_string(),
            "listening on [::1]:4500 (non-ESP marker)"
        );
        assert_eq!(
            LogEvent::Reloaded {
                generations: vec![3]
            }
            .to_string(),
            "reloaded the keyring: generation(s) 3 in use"
        );
        assert_eq!(
            LogEvent::Stopped { answered: 0 }.to_string(),
            "stopped after 0 answer(s)"
        );
    }
}
