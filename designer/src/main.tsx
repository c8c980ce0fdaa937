import { createRoot } from 'react-dom/client';
import './i18n';
import { App } from './App';
import './app.css';

createRoot(document.getElementById('root')!).render(<App />);
