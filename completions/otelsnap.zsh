#compdef otelsnap

autoload -U is-at-least

_otelsnap() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_otelsnap_commands" \
"*::: :->otelsnap" \
&& ret=0
    case $state in
    (otelsnap)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:otelsnap-command-$line[1]:"
        case $line[1] in
            (capture)
_arguments "${_arguments_options[@]}" : \
'--grpc=[OTLP/gRPC listen address (port 0 picks a free port; the default with -- CMD)]:ADDR:_default' \
'--http=[OTLP/HTTP listen address (port 0 picks a free port; the default with -- CMD)]:ADDR:_default' \
'--duration=[Stop after this long (e.g. 30s, 5m, 1h)]:D:_default' \
'--idle-timeout=[Stop when no request has arrived for this long]:D:_default' \
'--max-requests=[Stop after this many accepted export requests]:N:_default' \
'*--from-file=[Read OTLP files instead of listening (JSON lines, one JSON request, or protobuf; - is stdin)]:FILE:_default' \
'--from-file-signal=[Signal of protobuf files, where it cannot be told from the content]:SIGNAL:(metrics traces spans logs)' \
'*--signals=[Keep only these signals (comma-separated\: metrics, traces or spans, logs)]:LIST:_default' \
'*--services=[Keep only these services (service.name; comma-separated)]:LIST:_default' \
'--samples=[Value samples kept per key (0 = none)]:N:_default' \
'--max-items=[Cap on distinct metric names, span names, keys per item and templates (beyond it, counted as dropped)]:N:_default' \
'--max-body=[Largest request body accepted, before or after decompression, in bytes]:BYTES:_default' \
'--conn-timeout=[OTLP/HTTP\: close a connection that takes longer than this to send request headers, idles this long between requests, or pauses this long inside a body]:D:_default' \
'--max-connections=[OTLP/HTTP\: connections open at once at most; more are answered 503 and closed]:N:_default' \
'--max-state-bytes=[Memory budget of the analyzer'\''s state, in bytes\: past it, new items are dropped (counted) and the session is marked incomplete]:BYTES:_default' \
'--checkpoint=[Write the analyzed state this often, so a kill or crash loses at most this much (0 = off); the next capture of the name, or \`otelsnap recover NAME\`, restores it]:D:_default' \
'--description=[Description stored in the session]:TEXT:_default' \
'--ready-file=[Write {"grpc"\:ADDR,"http"\:ADDR} here once listening]:PATH:_files' \
'-o+[Write the session to this file instead of the store (gzipped when it ends in .gz)]:FILE:_files' \
'--output=[Write the session to this file instead of the store (gzipped when it ends in .gz)]:FILE:_files' \
'--protocol=[With -- CMD\: the OTLP protocol CMD is told to use (OTEL_EXPORTER_OTLP_PROTOCOL)]:PROTOCOL:(http/protobuf http/json grpc)' \
'--grace=[With -- CMD\: how long to keep receiving after CMD exits, for its final exports]:D:_default' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'--no-grpc[Do not listen for OTLP/gRPC]' \
'--no-http[Do not listen for OTLP/HTTP]' \
'--force[Replace an existing session of the same name]' \
'--allow-empty[Save even when nothing was received]' \
'--no-analyze[Decode requests but skip analysis (for measuring the receiver alone)]' \
'--baseline[Save a diff-only baseline (as \`export --baseline\`\: no value samples or sketches)]' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':name -- Name to save the session as (kebab-case):_default' \
'*::command -- Command to run with OTEL_EXPORTER_OTLP_* pointing at the receivers; the capture ends when it exits:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:(table json)' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:((table\:""
json\:""
html\:"One self-contained HTML page (no network), with every item and key"))' \
'-o+[Write to FILE (atomically) instead of stdout]:FILE:_files' \
'--output=[Write to FILE (atomically) instead of stdout]:FILE:_files' \
'--top=[Items shown per section (0 = all)]:N:_default' \
'*--signal=[Only these signals (comma-separated\: metrics, traces or spans, logs, attributes)]:LIST:_default' \
'--service=[Only items with this service]:NAME:_default' \
'--metric=[Show one metric in full]:NAME:_default' \
'--span=[Show one span name in full]:NAME:_default' \
'--log=[Show one log severity in full]:SEVERITY:_default' \
'--attribute=[Show one attribute key in full]:KEY:_default' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':session -- Session name, path to a session file, or -:_default' \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::names -- Session names:_default' \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
'--keep=[Keep the N newest sessions (by creation time)]:N:_default' \
'--older-than=[Delete sessions created longer ago than this (e.g. 12h, 7d, 2w)]:D:_default' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'--dry-run[Print what would be deleted, delete nothing]' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(merge)
_arguments "${_arguments_options[@]}" : \
'-o+[Name to save the result as]:NAME:_default' \
'--output=[Name to save the result as]:NAME:_default' \
'*--signals=[Keep only these signals (comma-separated\: metrics, traces or spans, logs)]:LIST:_default' \
'*--services=[Keep only these services (comma-separated)]:LIST:_default' \
'--description=[Description stored in the result]:TEXT:_default' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'--force[Replace an existing session of the same name]' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::sources -- Two or more sessions (names or files):_default' \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:((table\:""
json\:""
markdown\:"A pull-request comment\: a marker line, each change in a collapsed details block with its key tables and fixes, at most 65,536 characters"
github\:""
html\:"One self-contained HTML page (no network) with both sessions'\'' items"
junit\:"JUnit XML\: a suite per signal, a case per changed item, failing at or above the exit threshold"
sarif\:"SARIF 2.1.0 for code-scanning views (results point at the FROM file or --location)"))' \
'-o+[Write to FILE (atomically) instead of stdout]:FILE:_files' \
'--output=[Write to FILE (atomically) instead of stdout]:FILE:_files' \
'--min-severity=[Show only changes at or above this severity]:MIN_SEVERITY:(info warning critical)' \
'--fail-on=[Exit 1 when a change at or above this severity remains \[default\: --min-severity\]]:FAIL_ON:(info warning critical never)' \
'*--signal=[Only these signals (comma-separated\: metrics, traces or spans, logs, attributes)]:LIST:_default' \
'--service=[Only items with this service on either side]:NAME:_default' \
'--rules=[Rules file (TOML) \[default\: \$OTELSNAP_RULES, else .otelsnap.toml here or in a parent\]]:FILE:_files' \
'--tolerance=[Relative tolerance for numeric changes, overriding the rules\: 10% or 0.1 (0 reports every difference)]:FRACTION:_default' \
'--location=[File that sarif results and github annotations point at \[sarif default\: FROM, when it is a file\]]:PATH:_default' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'--ids[Table\: show each detail'\''s severity, rule and fingerprint (automatic from 160 columns)]' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':from -- The older session (name, file, or -):_default' \
':to -- The newer session (name, file, or -):_default' \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
'-o+[Write here instead of stdout (gzipped when it ends in .gz)]:FILE:_files' \
'--output=[Write here instead of stdout (gzipped when it ends in .gz)]:FILE:_files' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'--strip-samples[Remove value samples (for sharing)]' \
'--baseline[A diff-only baseline for a repository\: no value samples, no mergeable sketches (estimates kept; merge refuses it)]' \
'--force[Replace FILE if it exists]' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':session -- Session name, path, or -:_default' \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
'--name=[Save under this name instead of the file'\''s id]:NAME:_default' \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'--force[Replace an existing session of the same name]' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':file -- Session file (JSON or gzip; otelsnap or OCC format), or - for stdin:_default' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':shell -- Shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(recover)
_arguments "${_arguments_options[@]}" : \
'--dir=[Session directory \[default\: \$XDG_DATA_HOME/otelsnap/sessions, i.e. ~/.local/share/otelsnap/sessions\]]:DIR:_files' \
'--color=[When to use colors (NO_COLOR in the environment means never, unless \`always\`)]:WHEN:(auto always never)' \
'--max-session-size=[Largest session file read or written, in bytes]:BYTES:_default' \
'--max-sessions=[Most sessions the directory may hold]:N:_default' \
'--max-decompressed=[Largest decompressed session accepted when reading, in bytes (gzip-bomb guard)]:BYTES:_default' \
'--force[Replace an existing session of the same name]' \
'-q[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'--quiet[Print only data and errors\: no progress, summaries or warnings on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':name -- Name of the capture that was interrupted:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_otelsnap__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:otelsnap-help-command-$line[1]:"
        case $line[1] in
            (capture)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(merge)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(recover)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_otelsnap_commands] )) ||
_otelsnap_commands() {
    local commands; commands=(
'capture:Receive OTLP (gRPC/HTTP) or read OTLP files, and save what was seen as a session' \
'list:List saved sessions, newest first' \
'show:Show a session\: header, top metrics, spans, logs and attributes, or one item in full' \
'delete:Delete sessions (all names are checked first; nothing is deleted if one is missing)' \
'prune:Delete old sessions\: all but the newest --keep N, or those older than --older-than D' \
'merge:Combine sessions into one, with exact HyperLogLog unions' \
'diff:Compare two sessions\: severity-ranked changes, exit 1 when changes reach the threshold' \
'export:Write a session'\''s JSON to stdout or a file (gzipped when FILE ends in .gz)' \
'import:Import a session file (JSON or gzip, otelsnap or OCC format) into the directory' \
'completions:Print shell completions' \
'recover:Save what a killed capture checkpointed (--checkpoint) as the session NAME' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'otelsnap commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__capture_commands] )) ||
_otelsnap__subcmd__capture_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap capture commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__completions_commands] )) ||
_otelsnap__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap completions commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__delete_commands] )) ||
_otelsnap__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap delete commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__diff_commands] )) ||
_otelsnap__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap diff commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__export_commands] )) ||
_otelsnap__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap export commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help_commands] )) ||
_otelsnap__subcmd__help_commands() {
    local commands; commands=(
'capture:Receive OTLP (gRPC/HTTP) or read OTLP files, and save what was seen as a session' \
'list:List saved sessions, newest first' \
'show:Show a session\: header, top metrics, spans, logs and attributes, or one item in full' \
'delete:Delete sessions (all names are checked first; nothing is deleted if one is missing)' \
'prune:Delete old sessions\: all but the newest --keep N, or those older than --older-than D' \
'merge:Combine sessions into one, with exact HyperLogLog unions' \
'diff:Compare two sessions\: severity-ranked changes, exit 1 when changes reach the threshold' \
'export:Write a session'\''s JSON to stdout or a file (gzipped when FILE ends in .gz)' \
'import:Import a session file (JSON or gzip, otelsnap or OCC format) into the directory' \
'completions:Print shell completions' \
'recover:Save what a killed capture checkpointed (--checkpoint) as the session NAME' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'otelsnap help commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__capture_commands] )) ||
_otelsnap__subcmd__help__subcmd__capture_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help capture commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__completions_commands] )) ||
_otelsnap__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help completions commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__delete_commands] )) ||
_otelsnap__subcmd__help__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help delete commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__diff_commands] )) ||
_otelsnap__subcmd__help__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help diff commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__export_commands] )) ||
_otelsnap__subcmd__help__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help export commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__help_commands] )) ||
_otelsnap__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help help commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__import_commands] )) ||
_otelsnap__subcmd__help__subcmd__import_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help import commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__list_commands] )) ||
_otelsnap__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help list commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__merge_commands] )) ||
_otelsnap__subcmd__help__subcmd__merge_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help merge commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__prune_commands] )) ||
_otelsnap__subcmd__help__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help prune commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__recover_commands] )) ||
_otelsnap__subcmd__help__subcmd__recover_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help recover commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__help__subcmd__show_commands] )) ||
_otelsnap__subcmd__help__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap help show commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__import_commands] )) ||
_otelsnap__subcmd__import_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap import commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__list_commands] )) ||
_otelsnap__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap list commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__merge_commands] )) ||
_otelsnap__subcmd__merge_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap merge commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__prune_commands] )) ||
_otelsnap__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap prune commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__recover_commands] )) ||
_otelsnap__subcmd__recover_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap recover commands' commands "$@"
}
(( $+functions[_otelsnap__subcmd__show_commands] )) ||
_otelsnap__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'otelsnap show commands' commands "$@"
}

if [ "$funcstack[1]" = "_otelsnap" ]; then
    _otelsnap "$@"
else
    compdef _otelsnap otelsnap
fi
