namespace SwitchGate.Tpm.Tests;
