-- GET each path of the file named by BENCH_PATHS in turn (threads interleave, no repeats
-- until the list wraps). wrk -s paths.lua <url> -- <threads>
local next_thread = 0
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  stride = tonumber(args[1]) or 1
  counter = thread_index
  paths = {}
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    paths[#paths + 1] = line
  end
end

function request()
  local path = paths[(counter % #paths) + 1]
  counter = counter + stride
  return wrk.format("GET", path)
end
