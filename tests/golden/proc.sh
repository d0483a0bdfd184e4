# Process helpers shared by the capture scripts under tests/golden (sourced, not run).
# alive PID: the process exists and is not a zombie.
# killpid PID: SIGTERM, up to 5 s for it to go, then SIGKILL; a gone PID is fine.
alive() { [[ -n $1 && -r /proc/$1/stat ]] && [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) != Z ]]; }
killpid() {
	local pid=$1 i
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}
