
use builtin;
use str;

set edit:completion:arg-completer[qcd] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'qcd'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'qcd'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand secret 'Generate, rotate, list, export, import, prune and derive QCD secrets'
            cand token 'Derive and verify QCD tokens for given SPIs'
            cand decode 'Decode IKEv2 messages and notify payloads from hex or captures'
            cand keys 'Convert IKE key logs (tcpdump, libreswan, strongSwan charon) into a Wireshark key table'
            cand audit 'Audit cluster QCD secret-sharing against an inventory'
            cand diagnose 'Diagnose a failed crash detection from a capture'
            cand probe 'Ask live gateways whether they answer as QCD token makers, with which token'
            cand respond 'Answer as a QCD token maker, for labs and tests of `qcd probe` and takers'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;secret'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand generate 'Create a new keyring whose generation 1 is a fresh random secret'
            cand rotate 'Make a new active generation; the old active one stays valid as "previous" for --overlap'
            cand list 'List generations: id, state, times, fingerprint, length, profile; never the secret'
            cand export 'Write a generation''s secret in a format a gateway daemon reads'
            cand import 'Add an existing secret (e.g. a hot-standby peer''s) as a new generation'
            cand prune 'Wipe the secret bytes of expired generations (their metadata stays)'
            cand derive 'Derive a load-sharing member''s own secret from a root keyring (HKDF-SHA-256)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;secret;generate'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --bytes 'Secret length in bytes, 16 to 1024 [default: 32, or the --for daemon''s]'
            cand --profile 'Token profile of the new generation [default: hmac-sha256, or the active generation''s]'
            cand --length 'Token length in bytes, 16 up to the profile''s digest size [default: the profile''s]'
            cand --for 'Make the secret for this daemon: its secret size and token construction'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept keyrings and secret files readable or writable by group or others'
            cand --bind-taker-addr 'The token also covers the token taker''s IP address (breaks with NAT rebinding and MOBIKE)'
            cand --force 'Replace an existing keyring (its secrets are lost)'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;secret;rotate'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --overlap 'How long the old active generation stays valid as "previous" (e.g. 90m, 24h, 7d; at most 100y) [default: 24h; refused with --for a single-key daemon]'
            cand --if-older-than 'Rotate only if the active generation is at least this old (e.g. 30d); otherwise do nothing, exit 0'
            cand --bytes 'Secret length of the new generation [default: the active generation''s]'
            cand --profile 'Token profile of the new generation [default: hmac-sha256, or the active generation''s]'
            cand --length 'Token length in bytes, 16 up to the profile''s digest size [default: the profile''s]'
            cand --for 'The daemon the keyring is for: the active generation must fit it, and the new one is made for it'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept keyrings and secret files readable or writable by group or others'
            cand --dry-run 'Say what would happen without changing the keyring'
            cand --bind-taker-addr 'The token also covers the token taker''s IP address (breaks with NAT rebinding and MOBIKE)'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;secret;list'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept keyrings and secret files readable or writable by group or others'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;secret;export'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand -g 'Generation to export [default: the active one]'
            cand --generation 'Generation to export [default: the active one]'
            cand --format 'Output encoding [default with --for: the daemon''s (raw)]'
            cand --out 'Write to FILE (mode 0600, atomically) instead of stdout [default with --for: the daemon''s file]'
            cand --for 'Export for this daemon: its format, its file, its owner; the generation must fit it'
            cand --owner 'The user who owns FILE, the account the daemon reads it as [default with --for: the daemon''s]'
            cand --on-change 'Run CMD (with sh -c) when FILE changed, or when its last run failed; e.g. the daemon''s restart'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept keyrings and secret files readable or writable by group or others'
            cand --force 'Replace FILE even if it holds a secret that is no generation of this keyring'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;secret;import'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --format 'How the secret read is encoded [default with --for: the daemon''s (raw)]'
            cand --in 'Read the secret from FILE (`-` for stdin) [default: stdin, or a no-echo prompt on a terminal]'
            cand --as 'The state of the imported generation'
            cand --overlap 'How long a generation that stops being active (or the imported one, with --as previous) stays valid [default: 24h; refused with --for a single-key daemon]'
            cand --profile 'Token profile of the new generation [default: hmac-sha256, or the active generation''s]'
            cand --length 'Token length in bytes, 16 up to the profile''s digest size [default: the profile''s]'
            cand --for 'The secret is (or is for) this daemon''s: its size and token construction; --in may be the daemon''s own file'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept keyrings and secret files readable or writable by group or others'
            cand --bind-taker-addr 'The token also covers the token taker''s IP address (breaks with NAT rebinding and MOBIKE)'
            cand --allow-weak 'Import a secret that looks weak (all one byte, a short repeated pattern)'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;secret;prune'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept keyrings and secret files readable or writable by group or others'
            cand --dry-run 'Say what would be destroyed without changing the keyring'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;secret;derive'= {
            cand --root 'The root keyring (its active generation is the root secret)'
            cand --member 'The member''s name, e.g. gw2 (part of the HKDF info)'
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --overlap 'How long the member''s old active generation stays valid when the derived one replaces it'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept keyrings and secret files readable or writable by group or others'
            cand --force 'Recreate the member keyring from scratch (its other generations are lost), also when it holds another member''s secrets'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;secret;help'= {
            cand generate 'Create a new keyring whose generation 1 is a fresh random secret'
            cand rotate 'Make a new active generation; the old active one stays valid as "previous" for --overlap'
            cand list 'List generations: id, state, times, fingerprint, length, profile; never the secret'
            cand export 'Write a generation''s secret in a format a gateway daemon reads'
            cand import 'Add an existing secret (e.g. a hot-standby peer''s) as a new generation'
            cand prune 'Wipe the secret bytes of expired generations (their metadata stays)'
            cand derive 'Derive a load-sharing member''s own secret from a root keyring (HKDF-SHA-256)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;secret;help;generate'= {
        }
        &'qcd;secret;help;rotate'= {
        }
        &'qcd;secret;help;list'= {
        }
        &'qcd;secret;help;export'= {
        }
        &'qcd;secret;help;import'= {
        }
        &'qcd;secret;help;prune'= {
        }
        &'qcd;secret;help;derive'= {
        }
        &'qcd;secret;help;help'= {
        }
        &'qcd;token'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand derive 'Print the token a gateway sends for an IKE SA, in lowercase hex'
            cand verify 'Check a token against the generations in use; explain a mismatch'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;token;derive'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --secret-file 'Use a gateway''s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for'
            cand --secret-format 'How --secret-file is encoded [default with --for: the daemon''s (raw)]'
            cand --for '--secret-file is this daemon''s own file: its format, secret size and token construction'
            cand --spi-i 'Initiator SPI: 16 hex digits (optional 0x), Wireshark''s 01:23:…:ef form or swanctl --list-sas''s 0123456789abcdef_i (a `_r` label swaps the two)'
            cand --spi-r 'Responder SPI, same forms as --spi-i'
            cand --taker-addr 'The token taker''s IP address, appended to the SPIs (required by generations that bind tokens to it)'
            cand --profile 'Token profile [default: the generation''s; hmac-sha256 with --secret-file]'
            cand --length 'Token length in bytes, 16 up to the profile''s digest size [default: the generation''s, or the profile''s]'
            cand -g 'Use generation N [default: the active one]'
            cand --generation 'Use generation N [default: the active one]'
            cand --batch 'Read `SPI-I SPI-R [TAKER-ADDR]` lines from FILE (`-` for stdin); write one token per data line'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept a keyring or secret file readable or writable by group or others'
            cand --all 'One line per generation a rebooted gateway still emits (active and previous): `ID STATE TOKEN`'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;token;verify'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --secret-file 'Use a gateway''s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for'
            cand --secret-format 'How --secret-file is encoded [default with --for: the daemon''s (raw)]'
            cand --for '--secret-file is this daemon''s own file: its format, secret size and token construction'
            cand --spi-i 'Initiator SPI: 16 hex digits (optional 0x), Wireshark''s 01:23:…:ef form or swanctl --list-sas''s 0123456789abcdef_i (a `_r` label swaps the two)'
            cand --spi-r 'Responder SPI, same forms as --spi-i'
            cand --token 'The token to check, in hex (whitespace, colons and 0x allowed)'
            cand --taker-addr 'The token taker''s IP address, appended to the SPIs'
            cand --profile 'Token profile [default: the generation''s; hmac-sha256 with --secret-file]'
            cand --length 'Token length in bytes, 16 up to the profile''s digest size [default: the generation''s, or the profile''s]'
            cand -g 'Accept only generation N (the others are still tried to explain a mismatch)'
            cand --generation 'Accept only generation N (the others are still tried to explain a mismatch)'
            cand --batch 'Read `SPI-I SPI-R TOKEN [TAKER-ADDR]` lines from FILE (`-` for stdin); write one verdict per data line'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept a keyring or secret file readable or writable by group or others'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;token;help'= {
            cand derive 'Print the token a gateway sends for an IKE SA, in lowercase hex'
            cand verify 'Check a token against the generations in use; explain a mismatch'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;token;help;derive'= {
        }
        &'qcd;token;help;verify'= {
        }
        &'qcd;token;help;help'= {
        }
        &'qcd;decode'= {
            cand --hex 'The bytes as hex on the command line'
            cand --as 'What the bytes are, instead of detecting it (hex input)'
            cand --keys 'Decrypt SK payloads with these keys: a Wireshark ikev2_decryption_table, tcpdump -E / libreswan `ikev2 I|R …` lines, or a strongSwan charon log at ike = 4 (format detected per file)'
            cand --port 'Capture: a UDP port carrying IKE besides 500 and 4500 (repeatable)'
            cand --spi 'Capture: only the messages of one IKE SA (SPI-I or SPI-R, 16 hex digits)'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --offsets 'Show each payload''s byte offset in the input (in a capture: in the IKE message)'
            cand --ignore-icv 'With --keys: show an SK payload''s decryption even when its ICV does not match, marked unauthenticated (JSON "integrity": "failed")'
            cand --qcd 'Capture: only messages carrying QCD_TOKEN, INVALID_IKE_SPI or INVALID_SPI (also inside SK when decrypted with --keys)'
            cand --summary 'Capture: one row per IKE SA (exchanges, notifies, QCD tokens, ESP SPIs) instead of each message'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;keys'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand convert 'Convert a key log into a Wireshark ikev2_decryption_table'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;keys;convert'= {
            cand --from 'The format of INPUT'
            cand --out 'Where to write the table (mode 0600, atomically); `-` is stdout'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;keys;help'= {
            cand convert 'Convert a key log into a Wireshark ikev2_decryption_table'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;keys;help;convert'= {
        }
        &'qcd;keys;help;help'= {
        }
        &'qcd;audit'= {
            cand --fail-on 'Exit 1 when a finding has this severity or higher'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;diagnose'= {
            cand -k 'The token maker''s keyring: verify each QCD_TOKEN seen against it and explain mismatches [env: QCD_KEYRING]'
            cand --keyring 'The token maker''s keyring: verify each QCD_TOKEN seen against it and explain mismatches [env: QCD_KEYRING]'
            cand --keys 'Keys to decrypt IKE_AUTH and read the token given there: a Wireshark ikev2_decryption_table, tcpdump/libreswan key lines or a charon log (detected)'
            cand --port 'Another UDP port carrying IKE (besides 500 and 4500); repeatable'
            cand --silence 'How long one side may stay silent (or a request unanswered) while the other keeps sending before it counts as an outage'
            cand --taker 'Judge the token taker by the rules of this implementation (default: explain the maker''s reply for each)'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand -f 'Print each IKE SA''s verdict as soon as the evidence decides it, while the capture is still written: a pipe or FIFO is read as data arrives, a regular file as it grows (like `tail -f`). Ends at the end of a pipe or on SIGINT/SIGTERM, judging what is still open as without --follow'
            cand --follow 'Print each IKE SA''s verdict as soon as the evidence decides it, while the capture is still written: a pipe or FIFO is read as data arrives, a regular file as it grows (like `tail -f`). Ends at the end of a pipe or on SIGINT/SIGTERM, judging what is still open as without --follow'
            cand --allow-insecure-permissions 'Accept a keyring readable or writable by group or others'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;probe'= {
            cand --port 'The port of targets that name none; 4500 sends with the non-ESP marker'
            cand --source-port 'Send from this local port [default: an ephemeral one]; several targets are then probed one after another'
            cand --spi-i 'Ask about this initiator SPI instead of a random one (same forms as `qcd token derive`)'
            cand --spi-r 'Ask about this responder SPI instead of a random one'
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --secret-file 'Use a gateway''s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for'
            cand --secret-format 'How --secret-file is encoded [default with --for: the daemon''s (raw)]'
            cand --for '--secret-file is this daemon''s own file: its format, secret size and token construction'
            cand --expect 'What the cluster''s mode requires of the targets'' secrets'
            cand --auth 'Also check crash detection end to end with the gateway''s pre-shared key: `psk:FILE` (a private file: the key''s bytes, or hex after 0x; one trailing line break is ignored), or `psk` alone to type it at a prompt that does not echo. Never the key itself'
            cand --id 'This host''s IKE identity for --auth: fqdn:NAME, email:ADDRESS, ipv4:ADDRESS, ipv6:ADDRESS or keyid:HEX (the gateway must have a PSK for it)'
            cand --peer-id 'The identity the gateway must authenticate as (sent as IDr, then checked); any identity is accepted without it'
            cand --deadline 'How long to wait after the delete for the gateway''s token'
            cand --keys-out 'Write the IKE SAs'' keys to FILE as a Wireshark ikev2_decryption_table (mode 0600), to decrypt a capture of the check'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept a keyring or secret file readable or writable by group or others'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;respond'= {
            cand -k 'Keyring file [env: QCD_KEYRING]'
            cand --keyring 'Keyring file [env: QCD_KEYRING]'
            cand --listen 'Address to answer on, with an optional port (0.0.0.0, [::1]:4500, 127.0.0.1:0)'
            cand --rate 'Answers per second, on average, over all addresses'
            cand --burst 'Answers allowed in a burst'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --allow-insecure-permissions 'Accept a keyring readable or writable by group or others'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand --quiet 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;help'= {
            cand secret 'Generate, rotate, list, export, import, prune and derive QCD secrets'
            cand token 'Derive and verify QCD tokens for given SPIs'
            cand decode 'Decode IKEv2 messages and notify payloads from hex or captures'
            cand keys 'Convert IKE key logs (tcpdump, libreswan, strongSwan charon) into a Wireshark key table'
            cand audit 'Audit cluster QCD secret-sharing against an inventory'
            cand diagnose 'Diagnose a failed crash detection from a capture'
            cand probe 'Ask live gateways whether they answer as QCD token makers, with which token'
            cand respond 'Answer as a QCD token maker, for labs and tests of `qcd probe` and takers'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;help;secret'= {
            cand generate 'Create a new keyring whose generation 1 is a fresh random secret'
            cand rotate 'Make a new active generation; the old active one stays valid as "previous" for --overlap'
            cand list 'List generations: id, state, times, fingerprint, length, profile; never the secret'
            cand export 'Write a generation''s secret in a format a gateway daemon reads'
            cand import 'Add an existing secret (e.g. a hot-standby peer''s) as a new generation'
            cand prune 'Wipe the secret bytes of expired generations (their metadata stays)'
            cand derive 'Derive a load-sharing member''s own secret from a root keyring (HKDF-SHA-256)'
        }
        &'qcd;help;secret;generate'= {
        }
        &'qcd;help;secret;rotate'= {
        }
        &'qcd;help;secret;list'= {
        }
        &'qcd;help;secret;export'= {
        }
        &'qcd;help;secret;import'= {
        }
        &'qcd;help;secret;prune'= {
        }
        &'qcd;help;secret;derive'= {
        }
        &'qcd;help;token'= {
            cand derive 'Print the token a gateway sends for an IKE SA, in lowercase hex'
            cand verify 'Check a token against the generations in use; explain a mismatch'
        }
        &'qcd;help;token;derive'= {
        }
        &'qcd;help;token;verify'= {
        }
        &'qcd;help;decode'= {
        }
        &'qcd;help;keys'= {
            cand convert 'Convert a key log into a Wireshark ikev2_decryption_table'
        }
        &'qcd;help;keys;convert'= {
        }
        &'qcd;help;audit'= {
        }
        &'qcd;help;diagnose'= {
        }
        &'qcd;help;probe'= {
        }
        &'qcd;help;respond'= {
        }
        &'qcd;help;help'= {
        }
    ]
    $completions[$command]
}
