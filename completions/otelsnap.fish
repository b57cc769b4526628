# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_otelsnap_global_optspecs
    string join \n dir= color= q/quiet max-session-size= max-sessions= max-decompressed= h/help V/version
end

function __fish_otelsnap_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_otelsnap_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_otelsnap_using_subcommand
    set -l cmd (__fish_otelsnap_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c otelsnap -n "__fish_otelsnap_needs_command" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_needs_command" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_needs_command" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_needs_command" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_needs_command" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_needs_command" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "capture" -d 'Receive OTLP (gRPC/HTTP) or read OTLP files, and save what was seen as a session'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "list" -d 'List saved sessions, newest first'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "show" -d 'Show a session: header, top metrics, spans, logs and attributes, or one item in full'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "delete" -d 'Delete sessions (all names are checked first; nothing is deleted if one is missing)'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "prune" -d 'Delete old sessions: all but the newest --keep N, or those older than --older-than D'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "merge" -d 'Combine sessions into one, with exact HyperLogLog unions'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "diff" -d 'Compare two sessions: severity-ranked changes, exit 1 when changes reach the threshold'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "export" -d 'Write a session\'s JSON to stdout or a file (gzipped when FILE ends in .gz)'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "import" -d 'Import a session file (JSON or gzip, otelsnap or OCC format) into the directory'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "recover" -d 'Save what a killed capture checkpointed (--checkpoint) as the session NAME'
complete -c otelsnap -n "__fish_otelsnap_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l grpc -d 'OTLP/gRPC listen address (port 0 picks a free port; the default with -- CMD)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l http -d 'OTLP/HTTP listen address (port 0 picks a free port; the default with -- CMD)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l duration -d 'Stop after this long (e.g. 30s, 5m, 1h)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l idle-timeout -d 'Stop when no request has arrived for this long' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-requests -d 'Stop after this many accepted export requests' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l from-file -d 'Read OTLP files instead of listening (JSON lines, one JSON request, or protobuf; - is stdin)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l from-file-signal -d 'Signal of protobuf files, where it cannot be told from the content' -r -f -a "metrics\t''
traces\t''
spans\t''
logs\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l signals -d 'Keep only these signals (comma-separated: metrics, traces or spans, logs)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l services -d 'Keep only these services (service.name; comma-separated)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l samples -d 'Value samples kept per key (0 = none)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-items -d 'Cap on distinct metric names, span names, keys per item and templates (beyond it, counted as dropped)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-body -d 'Largest request body accepted, before or after decompression, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l conn-timeout -d 'OTLP/HTTP: close a connection that takes longer than this to send request headers, idles this long between requests, or pauses this long inside a body' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-connections -d 'OTLP/HTTP: connections open at once at most; more are answered 503 and closed' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-state-bytes -d 'Memory budget of the analyzer\'s state, in bytes: past it, new items are dropped (counted) and the session is marked incomplete' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l checkpoint -d 'Write the analyzed state this often, so a kill or crash loses at most this much (0 = off); the next capture of the name, or `otelsnap recover NAME`, restores it' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l description -d 'Description stored in the session' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l ready-file -d 'Write {"grpc":ADDR,"http":ADDR} here once listening' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -s o -l output -d 'Write the session to this file instead of the store (gzipped when it ends in .gz)' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l protocol -d 'With -- CMD: the OTLP protocol CMD is told to use (OTEL_EXPORTER_OTLP_PROTOCOL)' -r -f -a "http/protobuf\t''
http/json\t''
grpc\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l grace -d 'With -- CMD: how long to keep receiving after CMD exits, for its final exports' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l no-grpc -d 'Do not listen for OTLP/gRPC'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l no-http -d 'Do not listen for OTLP/HTTP'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l force -d 'Replace an existing session of the same name'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l allow-empty -d 'Save even when nothing was received'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l no-analyze -d 'Decode requests but skip analysis (for measuring the receiver alone)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -l baseline -d 'Save a diff-only baseline (as `export --baseline`: no value samples or sketches)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand capture" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand list" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l format -d 'Output format' -r -f -a "table\t''
json\t''
html\t'One self-contained HTML page (no network), with every item and key'"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -s o -l output -d 'Write to FILE (atomically) instead of stdout' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l top -d 'Items shown per section (0 = all)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l signal -d 'Only these signals (comma-separated: metrics, traces or spans, logs, attributes)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l service -d 'Only items with this service' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l metric -d 'Show one metric in full' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l span -d 'Show one span name in full' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l log -d 'Show one log severity in full' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l attribute -d 'Show one attribute key in full' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand show" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand delete" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l keep -d 'Keep the N newest sessions (by creation time)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l older-than -d 'Delete sessions created longer ago than this (e.g. 12h, 7d, 2w)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -l dry-run -d 'Print what would be deleted, delete nothing'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand prune" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -s o -l output -d 'Name to save the result as' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l signals -d 'Keep only these signals (comma-separated: metrics, traces or spans, logs)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l services -d 'Keep only these services (comma-separated)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l description -d 'Description stored in the result' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -l force -d 'Replace an existing session of the same name'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand merge" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l format -d 'Output format' -r -f -a "table\t''
json\t''
markdown\t'A pull-request comment: a marker line, each change in a collapsed details block with its key tables and fixes, at most 65,536 characters'
github\t''
html\t'One self-contained HTML page (no network) with both sessions\' items'
junit\t'JUnit XML: a suite per signal, a case per changed item, failing at or above the exit threshold'
sarif\t'SARIF 2.1.0 for code-scanning views (results point at the FROM file or --location)'"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -s o -l output -d 'Write to FILE (atomically) instead of stdout' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l min-severity -d 'Show only changes at or above this severity' -r -f -a "info\t''
warning\t''
critical\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l fail-on -d 'Exit 1 when a change at or above this severity remains [default: --min-severity]' -r -f -a "info\t''
warning\t''
critical\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l signal -d 'Only these signals (comma-separated: metrics, traces or spans, logs, attributes)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l service -d 'Only items with this service on either side' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l rules -d 'Rules file (TOML) [default: $OTELSNAP_RULES, else .otelsnap.toml here or in a parent]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l tolerance -d 'Relative tolerance for numeric changes, overriding the rules: 10% or 0.1 (0 reports every difference)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l location -d 'File that sarif results and github annotations point at [sarif default: FROM, when it is a file]' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -l ids -d 'Table: show each detail\'s severity, rule and fingerprint (automatic from 160 columns)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand diff" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -s o -l output -d 'Write here instead of stdout (gzipped when it ends in .gz)' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l strip-samples -d 'Remove value samples (for sharing)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l baseline -d 'A diff-only baseline for a repository: no value samples, no mergeable sketches (estimates kept; merge refuses it)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -l force -d 'Replace FILE if it exists'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand export" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -l name -d 'Save under this name instead of the file\'s id' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -l force -d 'Replace an existing session of the same name'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand import" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand completions" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -l dir -d 'Session directory [default: $XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions]' -r -F
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -l color -d 'When to use colors (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -l max-session-size -d 'Largest session file read or written, in bytes' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -l max-sessions -d 'Most sessions the directory may hold' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -l max-decompressed -d 'Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)' -r
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -l force -d 'Replace an existing session of the same name'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -s q -l quiet -d 'Print only data and errors: no progress, summaries or warnings on stderr'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand recover" -s V -l version -d 'Print version'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "capture" -d 'Receive OTLP (gRPC/HTTP) or read OTLP files, and save what was seen as a session'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "list" -d 'List saved sessions, newest first'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "show" -d 'Show a session: header, top metrics, spans, logs and attributes, or one item in full'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "delete" -d 'Delete sessions (all names are checked first; nothing is deleted if one is missing)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "prune" -d 'Delete old sessions: all but the newest --keep N, or those older than --older-than D'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "merge" -d 'Combine sessions into one, with exact HyperLogLog unions'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "diff" -d 'Compare two sessions: severity-ranked changes, exit 1 when changes reach the threshold'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "export" -d 'Write a session\'s JSON to stdout or a file (gzipped when FILE ends in .gz)'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "import" -d 'Import a session file (JSON or gzip, otelsnap or OCC format) into the directory'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "completions" -d 'Print shell completions'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "recover" -d 'Save what a killed capture checkpointed (--checkpoint) as the session NAME'
complete -c otelsnap -n "__fish_otelsnap_using_subcommand help; and not __fish_seen_subcommand_from capture list show delete prune merge diff export import completions recover help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
