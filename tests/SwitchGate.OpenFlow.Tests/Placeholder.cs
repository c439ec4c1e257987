namespace SwitchGate.OpenFlow.Tests;
