-- wrk script for tools/load-test: cycles through the request paths listed
-- one per line in the file given after "--", counts answers by status
-- class in every thread, and prints one machine-readable line at the end:
--   LOAD rps R p50_us A p99_us B max_us C mean_us D requests N s2xx ..
--        s4xx .. s5xx .. other .. connect_err .. read_err .. write_err ..
--        timeout_err ..
local paths = {}
local i = 0
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	for line in io.lines(args[1]) do
		paths[#paths + 1] = line
	end
	if #paths == 0 then
		error("no paths in " .. args[1])
	end
	-- threads start at different places in the list
	i = math.random(#paths)
	s2, s4, s5, other = 0, 0, 0, 0
end

function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end

function response(status, headers, body)
	if status >= 200 and status < 300 then
		s2 = s2 + 1
	elseif status >= 400 and status < 500 then
		s4 = s4 + 1
	elseif status >= 500 then
		s5 = s5 + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local t2, t4, t5, to = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		t2 = t2 + t:get("s2")
		t4 = t4 + t:get("s4")
		t5 = t5 + t:get("s5")
		to = to + t:get("other")
	end
	local e = summary.errors
	io.write(string.format("LOAD rps %.0f p50_us %d p99_us %d max_us %d mean_us %.0f requests %d " ..
	    "s2xx %d s4xx %d s5xx %d other %d connect_err %d read_err %d write_err %d timeout_err %d\n",
	    summary.requests / (summary.duration / 1e6), latency:percentile(50),
	    latency:percentile(99), latency.max, latency.mean, summary.requests, t2, t4, t5, to,
	    e.connect, e.read, e.write, e.timeout))
end
