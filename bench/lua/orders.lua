-- POST /api/orders/ with one line of a different product each time, as one of several
-- customers: BENCH_PRODUCTS and BENCH_TOKENS name files with one id / token per line.
-- wrk -s orders.lua <url> -- <threads>
local next_thread = 0
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

local function read_lines(name)
  local lines = {}
  for line in io.lines(os.getenv(name)) do
    lines[#lines + 1] = line
  end
  return lines
end

function init(args)
  stride = tonumber(args[1]) or 1
  counter = thread_index
  products = read_lines("BENCH_PRODUCTS")
  tokens = read_lines("BENCH_TOKENS")
end

function request()
  local product = products[(counter % #products) + 1]
  local token = tokens[(counter % #tokens) + 1]
  counter = counter + stride
  local body = '{"items": [{"product": "' .. product .. '", "quantity": 1}]}'
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  return wrk.format("POST", "/api/orders/", headers, body)
end
