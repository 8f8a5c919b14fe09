-- Neovim (0.7+) as a third-party LSP client for the fms-lsp test: starts the
-- server for *.fms and writes every diagnostics notification it receives to
-- $FMS_NVIM_OUT, one JSON object per line.
vim.g.do_filetype_lua = 1
local out = os.getenv('FMS_NVIM_OUT')
local node = os.getenv('FMS_NODE')
local server = os.getenv('FMS_LSP')
_G.fms_latest = nil

local function record(s)
  local f = io.open(out, 'a')
  f:write(s .. '\n')
  f:close()
end
_G.fms_record = record

vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
  pattern = '*.fms',
  callback = function() vim.bo.filetype = 'fpl' end,
})

local orig = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  record(vim.fn.json_encode(result))
  _G.fms_latest = result
  return orig(err, result, ctx, config)
end

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'fpl',
  callback = function(args)
    local id = vim.lsp.start_client({ name = 'fms-lsp', cmd = { node, server, '--stdio' }, root_dir = vim.fn.getcwd() })
    vim.lsp.buf_attach_client(args.buf, id)
  end,
})
