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
complete -c qcd -n "__fish_qcd_needs_command" -s q -l quiet -d 'Print only the answer itself (tokens, ids), no commentary'
complete -c qcd -n "__fish_qcd_needs_command" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_needs_command" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "secret" -d 'Generate, rotate, list, export, import, prune and derive QCD secrets'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "token" -d 'Derive and verify QCD tokens for given SPIs'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "decode" -d 'Decode IKEv2 messages and notify payloads from hex or captures'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "audit" -d 'Audit cluster QCD secret-sharing against an inventory'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "diagnose" -d 'Diagnose a failed crash detection from a capture'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "generate-assets" -d 'Regenerate shell completions and man pages (for maintainers)'
complete -c qcd -n "__fish_qcd_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qcd -n "__fish_qcd_using_subcommand secret" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand secret" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand secret" -s q -l quiet -d 'Print only the answer itself (tokens, ids), no commentary'
complete -c qcd -n "__fish_qcd_using_subcommand secret" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand secret" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand token" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand token" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand token" -s q -l quiet -d 'Print only the answer itself (tokens, ids), no commentary'
complete -c qcd -n "__fish_qcd_using_subcommand token" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand token" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l hex -d 'The bytes as hex on the command line' -r
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l as -d 'What the bytes are, instead of detecting it' -r -f -a "message\t''
payload\t''"
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l offsets -d 'Show each payload\'s byte offset in the input'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -s q -l quiet -d 'Print only the answer itself (tokens, ids), no commentary'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qcd -n "__fish_qcd_using_subcommand decode" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand audit" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -s q -l quiet -d 'Print only the answer itself (tokens, ids), no commentary'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand audit" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s q -l quiet -d 'Print only the answer itself (tokens, ids), no commentary'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand diagnose" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand generate-assets" -l out -d 'Directory under which `completions/` and `man/` are written' -r -F
complete -c qcd -n "__fish_qcd_using_subcommand generate-assets" -l color -d 'When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal' -r -f -a "auto\t''
always\t''
never\t''"
complete -c qcd -n "__fish_qcd_using_subcommand generate-assets" -l json -d 'Print results as JSON (one object per line) instead of text'
complete -c qcd -n "__fish_qcd_using_subcommand generate-assets" -s q -l quiet -d 'Print only the answer itself (tokens, ids), no commentary'
complete -c qcd -n "__fish_qcd_using_subcommand generate-assets" -s h -l help -d 'Print help'
complete -c qcd -n "__fish_qcd_using_subcommand generate-assets" -s V -l version -d 'Print version'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode audit diagnose generate-assets help" -f -a "secret" -d 'Generate, rotate, list, export, import, prune and derive QCD secrets'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode audit diagnose generate-assets help" -f -a "token" -d 'Derive and verify QCD tokens for given SPIs'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode audit diagnose generate-assets help" -f -a "decode" -d 'Decode IKEv2 messages and notify payloads from hex or captures'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode audit diagnose generate-assets help" -f -a "audit" -d 'Audit cluster QCD secret-sharing against an inventory'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode audit diagnose generate-assets help" -f -a "diagnose" -d 'Diagnose a failed crash detection from a capture'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode audit diagnose generate-assets help" -f -a "generate-assets" -d 'Regenerate shell completions and man pages (for maintainers)'
complete -c qcd -n "__fish_qcd_using_subcommand help; and not __fish_seen_subcommand_from secret token decode audit diagnose generate-assets help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
