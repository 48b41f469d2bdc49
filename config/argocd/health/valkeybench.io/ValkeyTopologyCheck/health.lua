-- Argo CD health of a ValkeyTopologyCheck (valkeybench.io/v1alpha1).
-- No result yet (or a spec generation not yet checked) -> Progressing; PASS -> Healthy;
-- FAIL -> Degraded with the first failed check's message.
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

if obj.status == nil or obj.status.result == nil then
  hs.status = "Progressing"
  local c = condition("Progressing")
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    hs.message = c.message
  else
    hs.message = "Waiting for the first topology check"
  end
  return hs
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Re-checking after a spec change (generation " .. generation .. ")"
  return hs
end

if obj.status.result == "PASS" then
  hs.status = "Healthy"
  if obj.status.crossZonePairs ~= nil and obj.status.crossZonePairs ~= "" then
    hs.message = "PASS: cross-zone pairs " .. obj.status.crossZonePairs
  else
    hs.message = "PASS"
  end
elseif obj.status.result == "FAIL" then
  hs.status = "Degraded"
  if obj.status.firstFailure ~= nil and obj.status.firstFailure ~= "" then
    hs.message = obj.status.firstFailure
  else
    hs.message = "FAIL"
  end
else
  hs.status = "Unknown"
  hs.message = "Unknown result " .. tostring(obj.status.result)
end
return hs
