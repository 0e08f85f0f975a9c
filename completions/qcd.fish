# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_qcd_global_optspecs
    string join \n json q/quiet color= h/help V/version
end

function __fish_qcd_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_qcd_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_qcd_using_subcommand
    set -l cmd (__fish_qcd_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c qcd -n "__fish_qcd_needs_command" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_needs_command" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_needs_command" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_needs_command" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_needs_command" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "secret" -d 'Generate, rotate, list, export, import, prune and derive QCD secrets'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "token" -d 'Derive and verify QCD tokens for given SPIs'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "decode" -d 'Decode IKEv2 messages and notify payloads from hex or captures'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "keys" -d 'Convert IKE key logs (tcpdump, libreswan, strongSwan charon) into a Wireshark key table'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "audit" -d 'Audit cluster QCD secret-sharing against an inventory'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "diagnose" -d 'Diagnose a failed crash detection from a capture'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "probe" -d 'Ask live gateways whether they answer as QCD token makers, with which token'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "respond" -d 'Answer as a QCD token maker, for labs and tests of `qcd probe` and takers'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "generate" -d 'Create a new keyring whose generation 1 is a fresh random secret'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "rotate" -d 'Make a new active generation; the old active one stays valid as "previous" for --overlap'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "list" -d 'List generations: id, state, times, fingerprint, length, profile; never the secret'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "export" -d 'Write a generation\'s secret in a format a gateway daemon reads'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "import" -d 'Add an existing secret (e.g. a hot-standby peer\'s) as a new generation'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "prune" -d 'Wipe the secret bytes of expired generations (their metadata stays)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "derive" -d 'Derive a load-sharing member\'s own secret from a root keyring (HKDF-SHA-256)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and not __fish_seen_subcommand_from generate rotate list export import prune derive help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l bytes -d 'Secret length in bytes, 16 to 1024 [default: 32, or the --for daemon\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l profile -d 'Token profile of the new generation [default: hmac-sha256, or the active generation\'s]' -r -f -a "hmac-sha256\t'HMAC-SHA-256(secret, SPI-I ‖ SPI-R), 32-byte tokens: qcd\'s default'
hmac-sha512\t'HMAC-SHA-512, 64-byte tokens: Rockhopper VPN'
hmac-sha1\t'HMAC-SHA-1, 16-byte tokens: the racoon2 fork'
sha256-concat\t'SHA-256(secret ‖ SPI-I ‖ SPI-R), 32-byte tokens: RFC 6290\'s stateless example'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l length -d 'Token length in bytes, 16 up to the profile\'s digest size [default: the profile\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l for -d 'Make the secret for this daemon: its secret size and token construction' -r -f -a "rockhopper\t'Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret'
racoon2\t'racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l allow-insecure-permissions -d 'Accept keyrings and secret files readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l bind-taker-addr -d 'The token also covers the token taker\'s IP address (breaks with NAT rebinding and MOBIKE)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l force -d 'Replace an existing keyring (its secrets are lost)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from generate" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l overlap -d 'How long the old active generation stays valid as "previous" (e.g. 90m, 24h, 7d; at most 100y) [default: 24h; refused with --for a single-key daemon]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l if-older-than -d 'Rotate only if the active generation is at least this old (e.g. 30d); otherwise do nothing, exit 0' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l bytes -d 'Secret length of the new generation [default: the active generation\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l profile -d 'Token profile of the new generation [default: hmac-sha256, or the active generation\'s]' -r -f -a "hmac-sha256\t'HMAC-SHA-256(secret, SPI-I ‖ SPI-R), 32-byte tokens: qcd\'s default'
hmac-sha512\t'HMAC-SHA-512, 64-byte tokens: Rockhopper VPN'
hmac-sha1\t'HMAC-SHA-1, 16-byte tokens: the racoon2 fork'
sha256-concat\t'SHA-256(secret ‖ SPI-I ‖ SPI-R), 32-byte tokens: RFC 6290\'s stateless example'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l length -d 'Token length in bytes, 16 up to the profile\'s digest size [default: the profile\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l for -d 'The daemon the keyring is for: the active generation must fit it, and the new one is made for it' -r -f -a "rockhopper\t'Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret'
racoon2\t'racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l allow-insecure-permissions -d 'Accept keyrings and secret files readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l dry-run -d 'Say what would happen without changing the keyring'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l bind-taker-addr -d 'The token also covers the token taker\'s IP address (breaks with NAT rebinding and MOBIKE)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from list" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from list" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from list" -l allow-insecure-permissions -d 'Accept keyrings and secret files readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -s g -l generation -d 'Generation to export [default: the active one]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l format -d 'Output encoding [default with --for: the daemon\'s (raw)]' -r -f -a "raw\t'The bytes themselves (refused on a terminal)'
hex\t'Lowercase hex, one line'
base64\t'Standard base64, one line'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l out -d 'Write to FILE (mode 0600, atomically) instead of stdout [default with --for: the daemon\'s file]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l for -d 'Export for this daemon: its format, its file, its owner; the generation must fit it' -r -f -a "rockhopper\t'Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret'
racoon2\t'racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l owner -d 'The user who owns FILE, the account the daemon reads it as [default with --for: the daemon\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l on-change -d 'Run CMD (with sh -c) when FILE changed, or when its last run failed; e.g. the daemon\'s restart' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l allow-insecure-permissions -d 'Accept keyrings and secret files readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l force -d 'Replace FILE even if it holds a secret that is no generation of this keyring'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l format -d 'How the secret read is encoded [default with --for: the daemon\'s (raw)]' -r -f -a "raw\t'The bytes themselves, as a daemon\'s secret file holds them (not at a prompt)'
hex\t'Hex digits, either case, with optional 0x, whitespace or colons'
base64\t'Standard base64'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l in -d 'Read the secret from FILE (`-` for stdin) [default: stdin, or a no-echo prompt on a terminal]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l as -d 'The state of the imported generation' -r -f -a "active\t'The new generation becomes active; the old active one becomes previous'
previous\t'The new generation is accepted and emitted as previous until --overlap ends'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l overlap -d 'How long a generation that stops being active (or the imported one, with --as previous) stays valid [default: 24h; refused with --for a single-key daemon]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l profile -d 'Token profile of the new generation [default: hmac-sha256, or the active generation\'s]' -r -f -a "hmac-sha256\t'HMAC-SHA-256(secret, SPI-I ‖ SPI-R), 32-byte tokens: qcd\'s default'
hmac-sha512\t'HMAC-SHA-512, 64-byte tokens: Rockhopper VPN'
hmac-sha1\t'HMAC-SHA-1, 16-byte tokens: the racoon2 fork'
sha256-concat\t'SHA-256(secret ‖ SPI-I ‖ SPI-R), 32-byte tokens: RFC 6290\'s stateless example'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l length -d 'Token length in bytes, 16 up to the profile\'s digest size [default: the profile\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l for -d 'The secret is (or is for) this daemon\'s: its size and token construction; --in may be the daemon\'s own file' -r -f -a "rockhopper\t'Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret'
racoon2\t'racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret'"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l allow-insecure-permissions -d 'Accept keyrings and secret files readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l bind-taker-addr -d 'The token also covers the token taker\'s IP address (breaks with NAT rebinding and MOBIKE)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l allow-weak -d 'Import a secret that looks weak (all one byte, a short repeated pattern)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -l allow-insecure-permissions -d 'Accept keyrings and secret files readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -l dry-run -d 'Say what would be destroyed without changing the keyring'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -l root -d 'The root keyring (its active generation is the root secret)' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -l member -d 'The member\'s name, e.g. gw2 (part of the HKDF info)' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -l overlap -d 'How long the member\'s old active generation stays valid when the derived one replaces it' -r
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -l allow-insecure-permissions -d 'Accept keyrings and secret files readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -l force -d 'Recreate the member keyring from scratch (its other generations are lost), also when it holds another member\'s secrets'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from derive" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Create a new keyring whose generation 1 is a fresh random secret'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Make a new active generation; the old active one stays valid as "previous" for --overlap'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "list" -d 'List generations: id, state, times, fingerprint, length, profile; never the secret'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write a generation\'s secret in a format a gateway daemon reads'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "import" -d 'Add an existing secret (e.g. a hot-standby peer\'s) as a new generation'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Wipe the secret bytes of expired generations (their metadata stays)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "derive" -d 'Derive a load-sharing member\'s own secret from a root keyring (HKDF-SHA-256)'
complete -c qcd -n "__fish_qcd_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -f -a "derive" -d 'Print the token a gateway sends for an IKE SA, in lowercase hex'
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -f -a "verify" -d 'Check a token against the generations in use; explain a mismatch'
complete -c qcd -n "__fish_qcd_using_subcommand token; and not __fish_seen_subcommand_from derive verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l secret-file -d 'Use a gateway\'s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l secret-format -d 'How --secret-file is encoded [default with --for: the daemon\'s (raw)]' -r -f -a "raw\t'The bytes themselves, as a daemon\'s secret file holds them (not at a prompt)'
hex\t'Hex digits, either case, with optional 0x, whitespace or colons'
base64\t'Standard base64'"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l for -d '--secret-file is this daemon\'s own file: its format, secret size and token construction' -r -f -a "rockhopper\t'Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret'
racoon2\t'racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret'"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l spi-i -d 'Initiator SPI: 16 hex digits (optional 0x), Wireshark\'s 01:23:…:ef form or swanctl --list-sas\'s 0123456789abcdef_i (a `_r` label swaps the two)' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l spi-r -d 'Responder SPI, same forms as --spi-i' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l taker-addr -d 'The token taker\'s IP address, appended to the SPIs (required by generations that bind tokens to it)' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l profile -d 'Token profile [default: the generation\'s; hmac-sha256 with --secret-file]' -r -f -a "hmac-sha256\t'HMAC-SHA-256(secret, SPI-I ‖ SPI-R), 32-byte tokens: qcd\'s default'
hmac-sha512\t'HMAC-SHA-512, 64-byte tokens: Rockhopper VPN'
hmac-sha1\t'HMAC-SHA-1, 16-byte tokens: the racoon2 fork'
sha256-concat\t'SHA-256(secret ‖ SPI-I ‖ SPI-R), 32-byte tokens: RFC 6290\'s stateless example'"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l length -d 'Token length in bytes, 16 up to the profile\'s digest size [default: the generation\'s, or the profile\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -s g -l generation -d 'Use generation N [default: the active one]' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l batch -d 'Read `SPI-I SPI-R [TAKER-ADDR]` lines from FILE (`-` for stdin); write one token per data line' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l allow-insecure-permissions -d 'Accept a keyring or secret file readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l all -d 'One line per generation a rebooted gateway still emits (active and previous): `ID STATE TOKEN`'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from derive" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l secret-file -d 'Use a gateway\'s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l secret-format -d 'How --secret-file is encoded [default with --for: the daemon\'s (raw)]' -r -f -a "raw\t'The bytes themselves, as a daemon\'s secret file holds them (not at a prompt)'
hex\t'Hex digits, either case, with optional 0x, whitespace or colons'
base64\t'Standard base64'"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l for -d '--secret-file is this daemon\'s own file: its format, secret size and token construction' -r -f -a "rockhopper\t'Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret'
racoon2\t'racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret'"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l spi-i -d 'Initiator SPI: 16 hex digits (optional 0x), Wireshark\'s 01:23:…:ef form or swanctl --list-sas\'s 0123456789abcdef_i (a `_r` label swaps the two)' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l spi-r -d 'Responder SPI, same forms as --spi-i' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l token -d 'The token to check, in hex (whitespace, colons and 0x allowed)' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l taker-addr -d 'The token taker\'s IP address, appended to the SPIs' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l profile -d 'Token profile [default: the generation\'s; hmac-sha256 with --secret-file]' -r -f -a "hmac-sha256\t'HMAC-SHA-256(secret, SPI-I ‖ SPI-R), 32-byte tokens: qcd\'s default'
hmac-sha512\t'HMAC-SHA-512, 64-byte tokens: Rockhopper VPN'
hmac-sha1\t'HMAC-SHA-1, 16-byte tokens: the racoon2 fork'
sha256-concat\t'SHA-256(secret ‖ SPI-I ‖ SPI-R), 32-byte tokens: RFC 6290\'s stateless example'"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l length -d 'Token length in bytes, 16 up to the profile\'s digest size [default: the generation\'s, or the profile\'s]' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -s g -l generation -d 'Accept only generation N (the others are still tried to explain a mismatch)' -r
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l batch -d 'Read `SPI-I SPI-R TOKEN [TAKER-ADDR]` lines from FILE (`-` for stdin); write one verdict per data line' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l allow-insecure-permissions -d 'Accept a keyring or secret file readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "derive" -d 'Print the token a gateway sends for an IKE SA, in lowercase hex'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check a token against the generations in use; explain a mismatch'
complete -c qcd -n "__fish_qcd_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l hex -d 'The bytes as hex on the command line' -r
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l as -d 'What the bytes are, instead of detecting it (hex input)' -r -f -a "message\t''
payload\t''"
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l keys -d 'Decrypt SK payloads with these keys: a Wireshark ikev2_decryption_table, tcpdump -E / libreswan `ikev2 I|R …` lines, or a strongSwan charon log at ike = 4 (format detected per file)' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l port -d 'Capture: a UDP port carrying IKE besides 500 and 4500 (repeatable)' -r
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l spi -d 'Capture: only the messages of one IKE SA (SPI-I or SPI-R, 16 hex digits)' -r
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l offsets -d 'Show each payload\'s byte offset in the input (in a capture: in the IKE message)'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l ignore-icv -d 'With --keys: show an SK payload\'s decryption even when its ICV does not match, marked unauthenticated (JSON "integrity": "failed")'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l qcd -d 'Capture: only messages carrying QCD_TOKEN, INVALID_IKE_SPI or INVALID_SPI (also inside SK when decrypted with --keys)'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l summary -d 'Capture: one row per IKE SA (exchanges, notifies, QCD tokens, ESP SPIs) instead of each message'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and not __fish_seen_subcommand_from convert help" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand keys; and not __fish_seen_subcommand_from convert help" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and not __fish_seen_subcommand_from convert help" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and not __fish_seen_subcommand_from convert help" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and not __fish_seen_subcommand_from convert help" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and not __fish_seen_subcommand_from convert help" -f -a "convert" -d 'Convert a key log into a Wireshark ikev2_decryption_table'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and not __fish_seen_subcommand_from convert help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from convert" -l from -d 'The format of INPUT' -r -f -a "tcpdump\t'tcpdump -E secrets: `ikev2 I|R 0xSPI-I 0xSPI-R sha1:0x… aes128:0x…`'
libreswan\t'libreswan with plutodebug=private: the same lines, libreswan\'s names'
charon\t'strongSwan charon log at ike = 4'
wireshark\t'A Wireshark table (checked and rewritten, skipped lines dropped)'"
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from convert" -l out -d 'Where to write the table (mode 0600, atomically); `-` is stdout' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from convert" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from convert" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from convert" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from convert" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "convert" -d 'Convert a key log into a Wireshark ikev2_decryption_table'
complete -c qcd -n "__fish_qcd_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -l fail-on -d 'Exit 1 when a finding has this severity or higher' -r -f -a "info\t''
low\t''
medium\t''
high\t''"
complete -c qcd -n "__fish_qcd_using_subcommand audit" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand audit" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s k -l keyring -d 'The token maker\'s keyring: verify each QCD_TOKEN seen against it and explain mismatches [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l keys -d 'Keys to decrypt IKE_AUTH and read the token given there: a Wireshark ikev2_decryption_table, tcpdump/libreswan key lines or a charon log (detected)' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l port -d 'Another UDP port carrying IKE (besides 500 and 4500); repeatable' -r
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l silence -d 'How long one side may stay silent (or a request unanswered) while the other keeps sending before it counts as an outage' -r
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l taker -d 'Judge the token taker by the rules of this implementation (default: explain the maker\'s reply for each)' -r -f -a "rockhopper\t'Rockhopper VPN: reply from the peer\'s address, INVALID_IKE_SPI and QCD_TOKEN, equal length and bytes'
racoon2\t'The racoon2 fork: any INFORMATIONAL response led by a Notify with a matching token'
rfc\t'RFC 6290: INVALID_IKE_SPI with a 16–128 octet token equal to the stored one'"
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s f -l follow -d 'Print each IKE SA\'s verdict as soon as the evidence decides it, while the capture is still written: a pipe or FIFO is read as data arrives, a regular file as it grows (like `tail -f`). Ends at the end of a pipe or on SIGINT/SIGTERM, judging what is still open as without --follow'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l allow-insecure-permissions -d 'Accept a keyring readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l port -d 'The port of targets that name none; 4500 sends with the non-ESP marker' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l source-port -d 'Send from this local port [default: an ephemeral one]; several targets are then probed one after another' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l spi-i -d 'Ask about this initiator SPI instead of a random one (same forms as `qcd token derive`)' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l spi-r -d 'Ask about this responder SPI instead of a random one' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l secret-file -d 'Use a gateway\'s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l secret-format -d 'How --secret-file is encoded [default with --for: the daemon\'s (raw)]' -r -f -a "raw\t'The bytes themselves, as a daemon\'s secret file holds them (not at a prompt)'
hex\t'Hex digits, either case, with optional 0x, whitespace or colons'
base64\t'Standard base64'"
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l for -d '--secret-file is this daemon\'s own file: its format, secret size and token construction' -r -f -a "rockhopper\t'Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret'
racoon2\t'racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret'"
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l expect -d 'What the cluster\'s mode requires of the targets\' secrets' -r -f -a "shared\t'Hot standby: every member answers with the same token'
distinct\t'Load sharing or anycast: no two members answer with the same token'"
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l auth -d 'Also check crash detection end to end with the gateway\'s pre-shared key: `psk:FILE` (a private file: the key\'s bytes, or hex after 0x; one trailing line break is ignored), or `psk` alone to type it at a prompt that does not echo. Never the key itself' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l id -d 'This host\'s IKE identity for --auth: fqdn:NAME, email:ADDRESS, ipv4:ADDRESS, ipv6:ADDRESS or keyid:HEX (the gateway must have a PSK for it)' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l peer-id -d 'The identity the gateway must authenticate as (sent as IDr, then checked); any identity is accepted without it' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l deadline -d 'How long to wait after the delete for the gateway\'s token' -r
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l keys-out -d 'Write the IKE SAs\' keys to FILE as a Wireshark ikev2_decryption_table (mode 0600), to decrypt a capture of the check' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l allow-insecure-permissions -d 'Accept a keyring or secret file readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand probe" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand probe" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand probe" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand respond" -s k -l keyring -d 'Keyring file [env: QCD_KEYRING]' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand respond" -l listen -d 'Address to answer on, with an optional port (0.0.0.0, [::1]:4500, 127.0.0.1:0)' -r
complete -c qcd -n "__fish_qcd_using_subcommand respond" -l rate -d 'Answers per second, on average, over all addresses' -r
complete -c qcd -n "__fish_qcd_using_subcommand respond" -l burst -d 'Answers allowed in a burst' -r
complete -c qcd -n "__fish_qcd_using_subcommand respond" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand respond" -l allow-insecure-permissions -d 'Accept a keyring readable or writable by group or others'
complete -c qcd -n "__fish_qcd_using_subcommand respond" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand respond" -s q -l quiet -d 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status'
complete -c qcd -n "__fish_qcd_using_subcommand respond" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand respond" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "secret" -d 'Generate, rotate, list, export, import, prune and derive QCD secrets'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "token" -d 'Derive and verify QCD tokens for given SPIs'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "decode" -d 'Decode IKEv2 messages and notify payloads from hex or captures'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "keys" -d 'Convert IKE key logs (tcpdump, libreswan, strongSwan charon) into a Wireshark key table'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "audit" -d 'Audit cluster QCD secret-sharing against an inventory'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "diagnose" -d 'Diagnose a failed crash detection from a capture'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "probe" -d 'Ask live gateways whether they answer as QCD token makers, with which token'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "respond" -d 'Answer as a QCD token maker, for labs and tests of `qcd probe` and takers'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode keys audit diagnose probe respond help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "generate" -d 'Create a new keyring whose generation 1 is a fresh random secret'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "rotate" -d 'Make a new active generation; the old active one stays valid as "previous" for --overlap'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "list" -d 'List generations: id, state, times, fingerprint, length, profile; never the secret'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "export" -d 'Write a generation\'s secret in a format a gateway daemon reads'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "import" -d 'Add an existing secret (e.g. a hot-standby peer\'s) as a new generation'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "prune" -d 'Wipe the secret bytes of expired generations (their metadata stays)'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "derive" -d 'Derive a load-sharing member\'s own secret from a root keyring (HKDF-SHA-256)'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "derive" -d 'Print the token a gateway sends for an IKE SA, in lowercase hex'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "verify" -d 'Check a token against the generations in use; explain a mismatch'
complete -c qcd -n "__fish_qcd_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "convert" -d 'Convert a key log into a Wireshark ikev2_decryption_table'
