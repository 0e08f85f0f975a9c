
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'qcd' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'qcd'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'qcd' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'Generate, rotate, list, export, import, prune and derive QCD secrets')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Derive and verify QCD tokens for given SPIs')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode IKEv2 messages and notify payloads from hex or captures')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Convert IKE key logs (tcpdump, libreswan, strongSwan charon) into a Wireshark key table')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Audit cluster QCD secret-sharing against an inventory')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Diagnose a failed crash detection from a capture')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Ask live gateways whether they answer as QCD token makers, with which token')
            [CompletionResult]::new('respond', 'respond', [CompletionResultType]::ParameterValue, 'Answer as a QCD token maker, for labs and tests of `qcd probe` and takers')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;secret' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Create a new keyring whose generation 1 is a fresh random secret')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Make a new active generation; the old active one stays valid as "previous" for --overlap')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List generations: id, state, times, fingerprint, length, profile; never the secret')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a generation''s secret in a format a gateway daemon reads')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add an existing secret (e.g. a hot-standby peer''s) as a new generation')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Wipe the secret bytes of expired generations (their metadata stays)')
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'Derive a load-sharing member''s own secret from a root keyring (HKDF-SHA-256)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;secret;generate' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--bytes', '--bytes', [CompletionResultType]::ParameterName, 'Secret length in bytes, 16 to 1024 [default: 32, or the --for daemon''s]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Token profile of the new generation [default: hmac-sha256, or the active generation''s]')
            [CompletionResult]::new('--length', '--length', [CompletionResultType]::ParameterName, 'Token length in bytes, 16 up to the profile''s digest size [default: the profile''s]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Make the secret for this daemon: its secret size and token construction')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept keyrings and secret files readable or writable by group or others')
            [CompletionResult]::new('--bind-taker-addr', '--bind-taker-addr', [CompletionResultType]::ParameterName, 'The token also covers the token taker''s IP address (breaks with NAT rebinding and MOBIKE)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing keyring (its secrets are lost)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;secret;rotate' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--overlap', '--overlap', [CompletionResultType]::ParameterName, 'How long the old active generation stays valid as "previous" (e.g. 90m, 24h, 7d; at most 100y) [default: 24h; refused with --for a single-key daemon]')
            [CompletionResult]::new('--if-older-than', '--if-older-than', [CompletionResultType]::ParameterName, 'Rotate only if the active generation is at least this old (e.g. 30d); otherwise do nothing, exit 0')
            [CompletionResult]::new('--bytes', '--bytes', [CompletionResultType]::ParameterName, 'Secret length of the new generation [default: the active generation''s]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Token profile of the new generation [default: hmac-sha256, or the active generation''s]')
            [CompletionResult]::new('--length', '--length', [CompletionResultType]::ParameterName, 'Token length in bytes, 16 up to the profile''s digest size [default: the profile''s]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'The daemon the keyring is for: the active generation must fit it, and the new one is made for it')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept keyrings and secret files readable or writable by group or others')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would happen without changing the keyring')
            [CompletionResult]::new('--bind-taker-addr', '--bind-taker-addr', [CompletionResultType]::ParameterName, 'The token also covers the token taker''s IP address (breaks with NAT rebinding and MOBIKE)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;secret;list' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept keyrings and secret files readable or writable by group or others')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;secret;export' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Generation to export [default: the active one]')
            [CompletionResult]::new('--generation', '--generation', [CompletionResultType]::ParameterName, 'Generation to export [default: the active one]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output encoding [default with --for: the daemon''s (raw)]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write to FILE (mode 0600, atomically) instead of stdout [default with --for: the daemon''s file]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Export for this daemon: its format, its file, its owner; the generation must fit it')
            [CompletionResult]::new('--owner', '--owner', [CompletionResultType]::ParameterName, 'The user who owns FILE, the account the daemon reads it as [default with --for: the daemon''s]')
            [CompletionResult]::new('--on-change', '--on-change', [CompletionResultType]::ParameterName, 'Run CMD (with sh -c) when FILE changed, or when its last run failed; e.g. the daemon''s restart')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept keyrings and secret files readable or writable by group or others')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE even if it holds a secret that is no generation of this keyring')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;secret;import' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How the secret read is encoded [default with --for: the daemon''s (raw)]')
            [CompletionResult]::new('--in', '--in', [CompletionResultType]::ParameterName, 'Read the secret from FILE (`-` for stdin) [default: stdin, or a no-echo prompt on a terminal]')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The state of the imported generation')
            [CompletionResult]::new('--overlap', '--overlap', [CompletionResultType]::ParameterName, 'How long a generation that stops being active (or the imported one, with --as previous) stays valid [default: 24h; refused with --for a single-key daemon]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Token profile of the new generation [default: hmac-sha256, or the active generation''s]')
            [CompletionResult]::new('--length', '--length', [CompletionResultType]::ParameterName, 'Token length in bytes, 16 up to the profile''s digest size [default: the profile''s]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'The secret is (or is for) this daemon''s: its size and token construction; --in may be the daemon''s own file')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept keyrings and secret files readable or writable by group or others')
            [CompletionResult]::new('--bind-taker-addr', '--bind-taker-addr', [CompletionResultType]::ParameterName, 'The token also covers the token taker''s IP address (breaks with NAT rebinding and MOBIKE)')
            [CompletionResult]::new('--allow-weak', '--allow-weak', [CompletionResultType]::ParameterName, 'Import a secret that looks weak (all one byte, a short repeated pattern)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;secret;prune' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept keyrings and secret files readable or writable by group or others')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be destroyed without changing the keyring')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;secret;derive' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The root keyring (its active generation is the root secret)')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'The member''s name, e.g. gw2 (part of the HKDF info)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--overlap', '--overlap', [CompletionResultType]::ParameterName, 'How long the member''s old active generation stays valid when the derived one replaces it')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept keyrings and secret files readable or writable by group or others')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Recreate the member keyring from scratch (its other generations are lost), also when it holds another member''s secrets')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;secret;help' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Create a new keyring whose generation 1 is a fresh random secret')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Make a new active generation; the old active one stays valid as "previous" for --overlap')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List generations: id, state, times, fingerprint, length, profile; never the secret')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a generation''s secret in a format a gateway daemon reads')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add an existing secret (e.g. a hot-standby peer''s) as a new generation')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Wipe the secret bytes of expired generations (their metadata stays)')
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'Derive a load-sharing member''s own secret from a root keyring (HKDF-SHA-256)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;secret;help;generate' {
            break
        }
        'qcd;secret;help;rotate' {
            break
        }
        'qcd;secret;help;list' {
            break
        }
        'qcd;secret;help;export' {
            break
        }
        'qcd;secret;help;import' {
            break
        }
        'qcd;secret;help;prune' {
            break
        }
        'qcd;secret;help;derive' {
            break
        }
        'qcd;secret;help;help' {
            break
        }
        'qcd;token' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'Print the token a gateway sends for an IKE SA, in lowercase hex')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a token against the generations in use; explain a mismatch')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;token;derive' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Use a gateway''s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for')
            [CompletionResult]::new('--secret-format', '--secret-format', [CompletionResultType]::ParameterName, 'How --secret-file is encoded [default with --for: the daemon''s (raw)]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, '--secret-file is this daemon''s own file: its format, secret size and token construction')
            [CompletionResult]::new('--spi-i', '--spi-i', [CompletionResultType]::ParameterName, 'Initiator SPI: 16 hex digits (optional 0x), Wireshark''s 01:23:…:ef form or swanctl --list-sas''s 0123456789abcdef_i (a `_r` label swaps the two)')
            [CompletionResult]::new('--spi-r', '--spi-r', [CompletionResultType]::ParameterName, 'Responder SPI, same forms as --spi-i')
            [CompletionResult]::new('--taker-addr', '--taker-addr', [CompletionResultType]::ParameterName, 'The token taker''s IP address, appended to the SPIs (required by generations that bind tokens to it)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Token profile [default: the generation''s; hmac-sha256 with --secret-file]')
            [CompletionResult]::new('--length', '--length', [CompletionResultType]::ParameterName, 'Token length in bytes, 16 up to the profile''s digest size [default: the generation''s, or the profile''s]')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Use generation N [default: the active one]')
            [CompletionResult]::new('--generation', '--generation', [CompletionResultType]::ParameterName, 'Use generation N [default: the active one]')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Read `SPI-I SPI-R [TAKER-ADDR]` lines from FILE (`-` for stdin); write one token per data line')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept a keyring or secret file readable or writable by group or others')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'One line per generation a rebooted gateway still emits (active and previous): `ID STATE TOKEN`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;token;verify' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Use a gateway''s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for')
            [CompletionResult]::new('--secret-format', '--secret-format', [CompletionResultType]::ParameterName, 'How --secret-file is encoded [default with --for: the daemon''s (raw)]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, '--secret-file is this daemon''s own file: its format, secret size and token construction')
            [CompletionResult]::new('--spi-i', '--spi-i', [CompletionResultType]::ParameterName, 'Initiator SPI: 16 hex digits (optional 0x), Wireshark''s 01:23:…:ef form or swanctl --list-sas''s 0123456789abcdef_i (a `_r` label swaps the two)')
            [CompletionResult]::new('--spi-r', '--spi-r', [CompletionResultType]::ParameterName, 'Responder SPI, same forms as --spi-i')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The token to check, in hex (whitespace, colons and 0x allowed)')
            [CompletionResult]::new('--taker-addr', '--taker-addr', [CompletionResultType]::ParameterName, 'The token taker''s IP address, appended to the SPIs')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Token profile [default: the generation''s; hmac-sha256 with --secret-file]')
            [CompletionResult]::new('--length', '--length', [CompletionResultType]::ParameterName, 'Token length in bytes, 16 up to the profile''s digest size [default: the generation''s, or the profile''s]')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Accept only generation N (the others are still tried to explain a mismatch)')
            [CompletionResult]::new('--generation', '--generation', [CompletionResultType]::ParameterName, 'Accept only generation N (the others are still tried to explain a mismatch)')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Read `SPI-I SPI-R TOKEN [TAKER-ADDR]` lines from FILE (`-` for stdin); write one verdict per data line')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept a keyring or secret file readable or writable by group or others')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;token;help' {
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'Print the token a gateway sends for an IKE SA, in lowercase hex')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a token against the generations in use; explain a mismatch')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;token;help;derive' {
            break
        }
        'qcd;token;help;verify' {
            break
        }
        'qcd;token;help;help' {
            break
        }
        'qcd;decode' {
            [CompletionResult]::new('--hex', '--hex', [CompletionResultType]::ParameterName, 'The bytes as hex on the command line')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'What the bytes are, instead of detecting it (hex input)')
            [CompletionResult]::new('--keys', '--keys', [CompletionResultType]::ParameterName, 'Decrypt SK payloads with these keys: a Wireshark ikev2_decryption_table, tcpdump -E / libreswan `ikev2 I|R …` lines, or a strongSwan charon log at ike = 4 (format detected per file)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Capture: a UDP port carrying IKE besides 500 and 4500 (repeatable)')
            [CompletionResult]::new('--spi', '--spi', [CompletionResultType]::ParameterName, 'Capture: only the messages of one IKE SA (SPI-I or SPI-R, 16 hex digits)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--offsets', '--offsets', [CompletionResultType]::ParameterName, 'Show each payload''s byte offset in the input (in a capture: in the IKE message)')
            [CompletionResult]::new('--ignore-icv', '--ignore-icv', [CompletionResultType]::ParameterName, 'With --keys: show an SK payload''s decryption even when its ICV does not match, marked unauthenticated (JSON "integrity": "failed")')
            [CompletionResult]::new('--qcd', '--qcd', [CompletionResultType]::ParameterName, 'Capture: only messages carrying QCD_TOKEN, INVALID_IKE_SPI or INVALID_SPI (also inside SK when decrypted with --keys)')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'Capture: one row per IKE SA (exchanges, notifies, QCD tokens, ESP SPIs) instead of each message')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;keys' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Convert a key log into a Wireshark ikev2_decryption_table')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;keys;convert' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The format of INPUT')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the table (mode 0600, atomically); `-` is stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;keys;help' {
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Convert a key log into a Wireshark ikev2_decryption_table')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;keys;help;convert' {
            break
        }
        'qcd;keys;help;help' {
            break
        }
        'qcd;audit' {
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding has this severity or higher')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;diagnose' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'The token maker''s keyring: verify each QCD_TOKEN seen against it and explain mismatches [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'The token maker''s keyring: verify each QCD_TOKEN seen against it and explain mismatches [env: QCD_KEYRING]')
            [CompletionResult]::new('--keys', '--keys', [CompletionResultType]::ParameterName, 'Keys to decrypt IKE_AUTH and read the token given there: a Wireshark ikev2_decryption_table, tcpdump/libreswan key lines or a charon log (detected)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Another UDP port carrying IKE (besides 500 and 4500); repeatable')
            [CompletionResult]::new('--silence', '--silence', [CompletionResultType]::ParameterName, 'How long one side may stay silent (or a request unanswered) while the other keeps sending before it counts as an outage')
            [CompletionResult]::new('--taker', '--taker', [CompletionResultType]::ParameterName, 'Judge the token taker by the rules of this implementation (default: explain the maker''s reply for each)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Print each IKE SA''s verdict as soon as the evidence decides it, while the capture is still written: a pipe or FIFO is read as data arrives, a regular file as it grows (like `tail -f`). Ends at the end of a pipe or on SIGINT/SIGTERM, judging what is still open as without --follow')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Print each IKE SA''s verdict as soon as the evidence decides it, while the capture is still written: a pipe or FIFO is read as data arrives, a regular file as it grows (like `tail -f`). Ends at the end of a pipe or on SIGINT/SIGTERM, judging what is still open as without --follow')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept a keyring readable or writable by group or others')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;probe' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The port of targets that name none; 4500 sends with the non-ESP marker')
            [CompletionResult]::new('--source-port', '--source-port', [CompletionResultType]::ParameterName, 'Send from this local port [default: an ephemeral one]; several targets are then probed one after another')
            [CompletionResult]::new('--spi-i', '--spi-i', [CompletionResultType]::ParameterName, 'Ask about this initiator SPI instead of a random one (same forms as `qcd token derive`)')
            [CompletionResult]::new('--spi-r', '--spi-r', [CompletionResultType]::ParameterName, 'Ask about this responder SPI instead of a random one')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Use a gateway''s own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for')
            [CompletionResult]::new('--secret-format', '--secret-format', [CompletionResultType]::ParameterName, 'How --secret-file is encoded [default with --for: the daemon''s (raw)]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, '--secret-file is this daemon''s own file: its format, secret size and token construction')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'What the cluster''s mode requires of the targets'' secrets')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Also check crash detection end to end with the gateway''s pre-shared key: `psk:FILE` (a private file: the key''s bytes, or hex after 0x; one trailing line break is ignored), or `psk` alone to type it at a prompt that does not echo. Never the key itself')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'This host''s IKE identity for --auth: fqdn:NAME, email:ADDRESS, ipv4:ADDRESS, ipv6:ADDRESS or keyid:HEX (the gateway must have a PSK for it)')
            [CompletionResult]::new('--peer-id', '--peer-id', [CompletionResultType]::ParameterName, 'The identity the gateway must authenticate as (sent as IDr, then checked); any identity is accepted without it')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'How long to wait after the delete for the gateway''s token')
            [CompletionResult]::new('--keys-out', '--keys-out', [CompletionResultType]::ParameterName, 'Write the IKE SAs'' keys to FILE as a Wireshark ikev2_decryption_table (mode 0600), to decrypt a capture of the check')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept a keyring or secret file readable or writable by group or others')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;respond' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--keyring', '--keyring', [CompletionResultType]::ParameterName, 'Keyring file [env: QCD_KEYRING]')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to answer on, with an optional port (0.0.0.0, [::1]:4500, 127.0.0.1:0)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Answers per second, on average, over all addresses')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Answers allowed in a burst')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal')
            [CompletionResult]::new('--allow-insecure-permissions', '--allow-insecure-permissions', [CompletionResultType]::ParameterName, 'Accept a keyring readable or writable by group or others')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one object per line) instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the answer (tokens, ids, verdicts, findings), no commentary; a negative answer is told by the exit status')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'qcd;help' {
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'Generate, rotate, list, export, import, prune and derive QCD secrets')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Derive and verify QCD tokens for given SPIs')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode IKEv2 messages and notify payloads from hex or captures')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Convert IKE key logs (tcpdump, libreswan, strongSwan charon) into a Wireshark key table')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Audit cluster QCD secret-sharing against an inventory')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Diagnose a failed crash detection from a capture')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Ask live gateways whether they answer as QCD token makers, with which token')
            [CompletionResult]::new('respond', 'respond', [CompletionResultType]::ParameterValue, 'Answer as a QCD token maker, for labs and tests of `qcd probe` and takers')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'qcd;help;secret' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Create a new keyring whose generation 1 is a fresh random secret')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Make a new active generation; the old active one stays valid as "previous" for --overlap')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List generations: id, state, times, fingerprint, length, profile; never the secret')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a generation''s secret in a format a gateway daemon reads')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add an existing secret (e.g. a hot-standby peer''s) as a new generation')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Wipe the secret bytes of expired generations (their metadata stays)')
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'Derive a load-sharing member''s own secret from a root keyring (HKDF-SHA-256)')
            break
        }
        'qcd;help;secret;generate' {
            break
        }
        'qcd;help;secret;rotate' {
            break
        }
        'qcd;help;secret;list' {
            break
        }
        'qcd;help;secret;export' {
            break
        }
        'qcd;help;secret;import' {
            break
        }
        'qcd;help;secret;prune' {
            break
        }
        'qcd;help;secret;derive' {
            break
        }
        'qcd;help;token' {
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'Print the token a gateway sends for an IKE SA, in lowercase hex')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a token against the generations in use; explain a mismatch')
            break
        }
        'qcd;help;token;derive' {
            break
        }
        'qcd;help;token;verify' {
            break
        }
        'qcd;help;decode' {
            break
        }
        'qcd;help;keys' {
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Convert a key log into a Wireshark ikev2_decryption_table')
            break
        }
        'qcd;help;keys;convert' {
            break
        }
        'qcd;help;audit' {
            break
        }
        'qcd;help;diagnose' {
            break
        }
        'qcd;help;probe' {
            break
        }
        'qcd;help;respond' {
            break
        }
        'qcd;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
