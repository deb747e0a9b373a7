import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { startFeeds } from './state/feeds.js';
import { setEngineService } from './state/service.js';
import { connectTransport } from './transport/index.js';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
const transport = connectTransport();
setEngineService(transport.service);
startFeeds(transport.service, transport);
createRoot(container).render(
  <StrictMode>
    <App dashboardOrigin={window.location.origin} />
  </StrictMode>,
);
