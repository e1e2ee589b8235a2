-- wrk script for tools/bench-sumdbd: cycles through the request paths
-- listed one per line in the file given after "--", and prints one
-- machine-readable summary line at the end.
-- The requests are formatted once, up front: wrk runs on the same two
-- cores as the server it measures, and formatting one per request cost
-- wrk about a microsecond of CPU each, taken from whichever server ran.
local reqs = {}
local i = 0

function init(args)
	for line in io.lines(args[1]) do
		reqs[#reqs + 1] = wrk.format("GET", line)
	end
	if #reqs == 0 then
		error("no paths in " .. args[1])
	end
end

function request()
	i = i % #reqs + 1
	return reqs[i]
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH rps %.0f p99_us %d requests %d bad %d\n",
	    summary.requests / (summary.duration / 1e6), latency:percentile(99),
	    summary.requests, e.status + e.connect + e.read + e.write + e.timeout))
end
