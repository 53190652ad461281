<#
.SYNOPSIS
  Installs (or removes) testday-agent as a scheduled task that runs at boot as SYSTEM.

.DESCRIPTION
  Writes the agent's settings (hub, room, token) to %ProgramData%\testday-agent\agent.toml,
  readable by SYSTEM and Administrators only, then registers testday-agent.xml (next to
  this script) as \testday\testday-agent with the program path and arguments filled in,
  and starts it. Task Scheduler cannot give a task environment variables, so the settings
  reach the agent through its --config TOML file. Run from an elevated shell.

.EXAMPLE
  .\install.ps1 -Hub ws://hub.school.example:8765 -Room LAB-2 -Token (Get-Content token.txt)

.EXAMPLE
  .\install.ps1 -Uninstall
#>
[CmdletBinding(DefaultParameterSetName = 'Install')]
param(
    [Parameter(Mandatory, ParameterSetName = 'Install')][string] $Hub,
    [Parameter(Mandatory, ParameterSetName = 'Install')][string] $Token,
    [Parameter(ParameterSetName = 'Install')][string] $Room = '',
    [Parameter(ParameterSetName = 'Install')]
    [string] $AgentExe = "$env:ProgramFiles\testday-agent\venv\Scripts\testday-agent.exe",
    [Parameter(ParameterSetName = 'Install')]
    [string] $TaskXml = (Join-Path $PSScriptRoot 'testday-agent.xml'),
    [string] $StateDir = "$env:ProgramData\testday-agent",
    [Parameter(Mandatory, ParameterSetName = 'Uninstall')][switch] $Uninstall
)
#Requires -RunAsAdministrator
$ErrorActionPreference = 'Stop'
$TaskName = 'testday-agent'
$TaskPath = '\testday\'

function Remove-AgentTask {
    $existing = Get-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -ErrorAction SilentlyContinue
    if ($existing) {
        Stop-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -ErrorAction SilentlyContinue
        Unregister-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -Confirm:$false
    }
}

if ($Uninstall) {
    Remove-AgentTask
    Write-Host "Removed $TaskPath$TaskName. The spool and settings in $StateDir were kept."
    return
}

if (-not (Test-Path -LiteralPath $AgentExe)) {
    throw "testday-agent not found at $AgentExe (pass -AgentExe)."
}

# State dir (spool, settings): SYSTEM and Administrators only, nothing inherited, because
# agent.toml holds the device token.
New-Item -ItemType Directory -Force -Path $StateDir | Out-Null
& icacls.exe $StateDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls failed on $StateDir" }

# A TOML basic string: backslashes and quotes escaped.
function TomlString([string] $value) { '"' + $value.Replace('\', '\\').Replace('"', '\"') + '"' }

$ConfigFile = Join-Path $StateDir 'agent.toml'
$lines = @('# testday-agent settings, written by install.ps1', "hub = $(TomlString $Hub)")
if ($Room) { $lines += "room = $(TomlString $Room)" }
$lines += "token = $(TomlString $Token)"
# UTF-8 without a BOM: a BOM would be read as part of the first TOML key.
[System.IO.File]::WriteAllText($ConfigFile, ($lines -join "`n") + "`n", (New-Object System.Text.UTF8Encoding $false))

# Windows argv quoting: escape embedded quotes, double trailing backslashes so the closing
# quote is not swallowed (C:\dir\ -> "C:\dir\\").
function Quote([string] $value) {
    '"' + ($value.Replace('"', '\"') -replace '(\\+)$', '$1$1') + '"'
}

$arguments = @('--config', (Quote $ConfigFile), '--state-dir', (Quote $StateDir))

[xml] $doc = Get-Content -LiteralPath $TaskXml -Raw
$doc.Task.Actions.Exec.Command = $AgentExe
$doc.Task.Actions.Exec.Arguments = $arguments -join ' '
$doc.Task.Actions.Exec.WorkingDirectory = $StateDir
# The XML now travels as a .NET (UTF-16) string; say so, as Task Scheduler's own exports do.
if ($doc.FirstChild -is [System.Xml.XmlDeclaration]) { $doc.FirstChild.Encoding = 'UTF-16' }

Remove-AgentTask
Register-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -Xml $doc.OuterXml | Out-Null
Start-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath
Write-Host "Registered and started $TaskPath$TaskName ($AgentExe)."
