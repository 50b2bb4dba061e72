/**
 * Component-test page for ImageViewer (not served by the platform): the browser test serves
 * the production build next to a stub DICOMweb built from a real DICOM file and opens
 * /viewer-harness.html?root=…&study=…&series=…&token=…
 */
import { createRoot } from 'react-dom/client';
import { useEffect, useState } from 'react';
import { DicomWebClient, type StackImage } from '../api/dicomweb';
import { I18nProvider } from '../i18n/I18nProvider';
import { ImageViewer, type ViewerHandle } from '../viewer/ImageViewer';
import { cs, csTools, setImageTokenProvider } from '../viewer/cornerstone';

const params = new URLSearchParams(window.location.search);
const token = params.get('token');
setImageTokenProvider(async () => token);
const client = new DicomWebClient(params.get('root') ?? '/dicom-web', async () => token);

declare global {
  interface Window {
    __viewer?: {
      handle: ViewerHandle;
      stack: StackImage[];
      cs: typeof cs;
      csTools: typeof csTools;
    };
    __viewerError?: string;
  }
}

function Harness() {
  const [stack, setStack] = useState<StackImage[] | null>(null);
  useEffect(() => {
    client
      .seriesStack(params.get('study') ?? '', params.get('series') ?? '')
      .then(setStack, (e: Error) => {
        window.__viewerError = e.message;
      });
  }, []);
  if (!stack) return null;
  return (
    <div style={{ padding: 12, width: 900 }}>
      <ImageViewer
        stack={stack}
        height={512}
        onReady={(handle) => (window.__viewer = { handle, stack, cs, csTools })}
      />
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <Harness />
  </I18nProvider>,
);
