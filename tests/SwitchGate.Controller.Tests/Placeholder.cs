namespace SwitchGate.Controller.Tests;
