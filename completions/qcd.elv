
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
            cand -q 'Print only the answer itself (tokens, ids), no commentary'
            cand --quiet 'Print only the answer itself (tokens, ids), no commentary'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand secret 'Generate, rotate, list, export, import, prune and derive QCD secrets'
            cand token 'Derive and verify QCD tokens for given SPIs'
            cand decode 'Decode IKEv2 messages and notify payloads from hex or captures'
            cand audit 'Audit cluster QCD secret-sharing against an inventory'
            cand diagnose 'Diagnose a failed crash detection from a capture'
            cand generate-assets 'Regenerate shell completions and man pages (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;secret'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer itself (tokens, ids), no commentary'
            cand --quiet 'Print only the answer itself (tokens, ids), no commentary'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;token'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer itself (tokens, ids), no commentary'
            cand --quiet 'Print only the answer itself (tokens, ids), no commentary'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;decode'= {
            cand --hex 'The bytes as hex on the command line'
            cand --as 'What the bytes are, instead of detecting it'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --offsets 'Show each payload''s byte offset in the input'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer itself (tokens, ids), no commentary'
            cand --quiet 'Print only the answer itself (tokens, ids), no commentary'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;audit'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer itself (tokens, ids), no commentary'
            cand --quiet 'Print only the answer itself (tokens, ids), no commentary'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;diagnose'= {
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer itself (tokens, ids), no commentary'
            cand --quiet 'Print only the answer itself (tokens, ids), no commentary'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;generate-assets'= {
            cand --out 'Directory under which `completions/` and `man/` are written'
            cand --color 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal'
            cand --json 'Print results as JSON (one object per line) instead of text'
            cand -q 'Print only the answer itself (tokens, ids), no commentary'
            cand --quiet 'Print only the answer itself (tokens, ids), no commentary'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'qcd;help'= {
            cand secret 'Generate, rotate, list, export, import, prune and derive QCD secrets'
            cand token 'Derive and verify QCD tokens for given SPIs'
            cand decode 'Decode IKEv2 messages and notify payloads from hex or captures'
            cand audit 'Audit cluster QCD secret-sharing against an inventory'
            cand diagnose 'Diagnose a failed crash detection from a capture'
            cand generate-assets 'Regenerate shell completions and man pages (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'qcd;help;secret'= {
        }
        &'qcd;help;token'= {
        }
        &'qcd;help;decode'= {
        }
        &'qcd;help;audit'= {
        }
        &'qcd;help;diagnose'= {
        }
        &'qcd;help;generate-assets'= {
        }
        &'qcd;help;help'= {
        }
    ]
    $completions[$command]
}
