-- Waits for diagnostics on the open file, deletes the line with the typo, and
-- waits for the diagnostics to clear; records each phase, then quits.
local function has(n)
  return function()
    local l = _G.fms_latest
    if l == nil then return false end
    if n then return #l.diagnostics > 0 end
    return #l.diagnostics == 0
  end
end
_G.fms_record('PHASE errors ' .. tostring(vim.wait(15000, has(true), 20)))
vim.api.nvim_buf_set_lines(0, 6, 7, false, {})
_G.fms_record('PHASE cleared ' .. tostring(vim.wait(15000, has(false), 20)))
vim.cmd('qa!')
