-- Argo CD health of a ValkeyBenchmark (valkeybench.io/v1alpha1).
-- Pending/Scheduling/Running (or no status yet, or a spec generation the operator has not
-- picked up) -> Progressing; Succeeded -> Healthy; Failed -> Degraded with the Failed
-- condition's message.
local hs = {}

local function condition(ctype)
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == ctype then
        return c
      end
    end
  end
  return nil
end

local function message_of(ctype, fallback)
  local c = condition(ctype)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to start the benchmark"
  return hs
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "A new run is starting for generation " .. generation
  return hs
end

local phase = obj.status.phase
if phase == "Succeeded" then
  hs.status = "Healthy"
  if obj.status.rpsSummary ~= nil and obj.status.rpsSummary ~= "" then
    hs.message = "Succeeded: " .. obj.status.rpsSummary
  else
    hs.message = "Succeeded"
  end
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = message_of("Failed", "Benchmark failed")
elseif phase == "Pending" or phase == "Scheduling" or phase == "Running" then
  hs.status = "Progressing"
  hs.message = message_of("Progressing", phase)
else
  hs.status = "Unknown"
  hs.message = "Unknown phase " .. tostring(phase)
end
return hs
