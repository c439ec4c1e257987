namespace SwitchGate.Integration.Tests;
