-- wrk script for tools/bench-sumdbd: cycles through the request paths
-- listed one per line in the file given after "--", and prints one
-- machine-readable summary line at the end.
local paths = {}
local i = 0

function init(args)
	for line in io.lines(args[1]) do
		paths[#paths + 1] = line
	end
	if #paths == 0 then
		error("no paths in " .. args[1])
	end
end

function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH rps %.0f p99_us %d requests %d bad %d\n",
	    summary.requests / (summary.duration / 1e6), latency:percentile(99),
	    summary.requests, e.status + e.connect + e.read + e.write + e.timeout))
end
