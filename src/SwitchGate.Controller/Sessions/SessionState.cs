namespace SwitchGate.Controller.Sessions;

/// <summary>
/// Life of one switch connection. States only move forward; every state can go to
/// <see cref="Closed"/>, which is entered exactly once, with a logged reason
/// (see docs/controller.md for the diagram).
/// </summary>
public enum SessionState
{
    /// <summary>TCP accepted, our HELLO sent; waiting for the switch's HELLO (bounded by the hello timeout).</summary>
    AwaitingHello,
    /// <summary>Version 1.3 negotiated (OpenFlow 1.3.5 §6.3.1), FEATURES_REQUEST sent.</summary>
    AwaitingFeatures,
    /// <summary>Datapath id known and registered, SET_CONFIG and MULTIPART PORT_DESC request sent.</summary>
    AwaitingPortDesc,
    /// <summary>Port table known; deleting flows/meters/groups and installing the pipeline, waiting for the barrier.</summary>
    ColdStarting,
    /// <summary>Pipeline confirmed: packet-ins, flow-removed and port status go to the apps.</summary>
    Ready,
    /// <summary>Connection gone; <see cref="SwitchSession.CloseReason"/> says why. Pending requests have failed.</summary>
    Closed,
}
