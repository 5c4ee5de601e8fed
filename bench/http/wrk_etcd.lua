-- wrk script for etcd 3.4's HTTP gateway: /v3/kv/put or /v3/kv/range of `bench/<n>` with n
-- random in the key space, the same 64-byte values as wrk_ooo.lua (base64 in the JSON body, as
-- the gateway wants). Env: OP=post|get, KEYS (default 10000).
local op = os.getenv("OP") or "post"
local keys = tonumber(os.getenv("KEYS") or "10000")
local value = '{"v":"' .. string.rep("x", 56) .. '"}'

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 4
    if not b then chars = 2 elseif not c then chars = 3 end
    for j = 1, 4 do
      if j <= chars then
        local k = math.floor(n / 2 ^ (6 * (4 - j))) % 64
        out[#out + 1] = alphabet:sub(k + 1, k + 1)
      else
        out[#out + 1] = "="
      end
    end
  end
  return table.concat(out)
end

local encoded_value = base64(value)
local encoded_keys = {}
for n = 0, keys - 1 do
  encoded_keys[n] = base64("bench/" .. n)
end
local headers = { ["Content-Type"] = "application/json" }

request = function()
  local key = encoded_keys[math.random(0, keys - 1)]
  if op == "post" then
    return wrk.format("POST", "/v3/kv/put", headers,
                      '{"key":"' .. key .. '","value":"' .. encoded_value .. '"}')
  end
  return wrk.format("POST", "/v3/kv/range", headers, '{"key":"' .. key .. '"}')
end
