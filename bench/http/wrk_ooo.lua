-- wrk script for ooo-storaged's gateway: POST (set) or GET of `bench/<n>` with n random in the
-- key space, 64-byte JSON values. Env: OP=post|get, KEYS (key space, default 10000).
local op = os.getenv("OP") or "post"
local keys = tonumber(os.getenv("KEYS") or "10000")
local value = '{"v":"' .. string.rep("x", 56) .. '"}' -- 64 bytes

request = function()
  local path = "/bench/" .. math.random(0, keys - 1)
  if op == "post" then
    return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, value)
  end
  return wrk.format("GET", path)
end
