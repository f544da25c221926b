import { type FormEvent, useEffect, useState } from "react";
import { LinkError, type LinkRequest } from "../../../core/membership/device-link.js";
import { displayName } from "../../../core/membership/display-name.js";
import { Dialog } from "./Dialog.js";
import { Actions, Alert } from "./Form.js";
import { useClient } from "./hooks.js";
import { QrCode } from "./QrCode.js";

const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

/** On the device holding the user key: shows the link, then asks whether the codes match. */
export function LinkDeviceDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const [offer] = useState(() => client.offerLink());
  const [request, setRequest] = useState<LinkRequest>();
  const [state, setState] = useState<"waiting" | "asking" | "linking" | "done" | "refused">(
    "waiting",
  );
  const [error, setError] = useState<string>();
  /** Spaces that took the device before an accept failed: then something was shared. */
  const [added, setAdded] = useState(0);

  useEffect(() => {
    let live = true;
    offer.next().then(
      (r) => {
        if (!live) return;
        setRequest(r);
        setState("asking");
      },
      (err: unknown) => live && setError(`The link stopped working: ${(err as Error).message}`),
    );
    return () => {
      live = false;
      void offer.close();
    };
  }, [offer]);

  return (
    <Dialog title="Link a new device" onClose={onClose} wide>
      {state === "waiting" && (
        <>
          <p>
            On the new device, open Grove, choose “Link to a device I already use” and paste this
            text (or scan the code).
          </p>
          <div className="verify">
            <QrCode text={offer.text} label="QR code of the device link" />
            <label className="grow">
              Device link
              <input readOnly value={offer.text} onFocus={(e) => e.target.select()} />
            </label>
          </div>
          <p className="muted" role="status">
            Waiting for the new device…
          </p>
          <Alert message={error} />
        </>
      )}
      {state === "asking" && request && (
        <>
          <p>
            <strong>{displayName(request.name)}</strong> asks to become one of your devices. It gets
            every space you are in and their history.
          </p>
          <p>
            Does it show this code? <strong className="code">{spaced(offer.code(request))}</strong>
          </p>
          <Alert message={error} />
          <div className="row end">
            <button type="button" onClick={() => setState("refused")}>
              No, refuse
            </button>
            <button
              type="button"
              className="primary"
              onClick={async () => {
                setState("linking");
                try {
                  await offer.accept(request);
                  setState("done");
                } catch (err) {
                  if (err instanceof LinkError && err.code === "PARTLY_LINKED") {
                    setAdded((n) => Math.max(n, err.added));
                  }
                  setError((err as Error).message);
                  setState("asking");
                }
              }}
            >
              Yes, link {displayName(request.name)}
            </button>
          </div>
        </>
      )}
      {state === "linking" && <p role="status">Adding the device to your spaces…</p>}
      {state === "done" && <p role="status">Linked. The new device is catching up now.</p>}
      {state === "refused" && (
        <p role="status">
          {added === 0
            ? "Refused. Nothing was shared with that device."
            : `Refused, but linking had already added that device to up to ${added} of your spaces (your account among them) before it failed: it can read what is written there.`}
        </p>
      )}
    </Dialog>
  );
}

/** On the new device, at onboarding: asks through the link and shows the code to compare. */
export function LinkThisDevice(props: {
  deviceName: string;
  /** A grove://link URL the desktop shell was opened with. */
  initial?: string | undefined;
  onBack: () => void;
}) {
  const { deviceName, onBack } = props;
  const client = useClient();
  const [text, setText] = useState(props.initial ?? "");
  const [name, setName] = useState(deviceName);
  const [code, setCode] = useState<string>();
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const { code, done } = await client.requestLink(text, name);
      setCode(code);
      await done;
    } catch (err) {
      setCode(undefined);
      setError(`Could not link: ${(err as Error).message}`);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="link-title">
      <h1 id="link-title">Link to a device you already use</h1>
      {code ? (
        <>
          <p>
            Your other device now asks whether it shows this code:{" "}
            <strong className="code">{spaced(code)}</strong>
          </p>
          <p className="muted" role="status">
            Accept there; this device then receives your spaces.
          </p>
          <div className="row end">
            <button type="button" onClick={onBack}>
              Cancel
            </button>
          </div>
        </>
      ) : (
        <>
          <p className="muted">
            On the other device: the sidebar's “Link a device” shows the text to paste here.
          </p>
          <label>
            Device link
            <input
              required
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="grove://link#…"
              spellCheck={false}
            />
          </label>
          <label>
            This device's name
            <input required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <Alert message={error} />
          <Actions
            onCancel={onBack}
            cancel="Back"
            submit={"Ask to link"}
            disabled={!text.trim() || !name.trim()}
          />
        </>
      )}
    </form>
  );
}
